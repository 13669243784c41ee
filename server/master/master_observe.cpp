// The observing half of the master: its bookkeeping per worker id and what --stats and
// --metrics answer (see server/observe/). Answers are built on the master's loop from the
// scoreboard, the master's own state and /proc; no worker is asked anything.
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>

#include "server/log/log.hpp"
#include "server/master/master.hpp"
#include "server/net/listen_queue.hpp"
#include "server/observe/metrics_text.hpp"
#include "server/observe/process_memory.hpp"
#include "server/observe/stats_json.hpp"

namespace gantry::server {
namespace {

std::int64_t unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

worker_counts minus(worker_counts a, const worker_counts& b) {
    a.requests -= b.requests;
    a.exceptions -= b.exceptions;
    a.tx_bytes -= b.tx_bytes;
    a.running_us -= b.running_us;
    return a;
}

// The cause gantry_worker_respawns_total counts a worker's end under; none for the ends
// that are not followed by a replacement (gantry stopping, the pool shrinking).
std::optional<respawn_cause> respawn_cause_of(stop_cause c) {
    switch (c) {
        case stop_cause::none:
            return respawn_cause::died;
        case stop_cause::harakiri:
            return respawn_cause::harakiri;
        case stop_cause::max_requests:
            return respawn_cause::max_requests;
        case stop_cause::max_rss:
            return respawn_cause::max_rss;
        case stop_cause::max_lifetime:
            return respawn_cause::max_lifetime;
        case stop_cause::reload:
            return respawn_cause::reload;
        default:
            return std::nullopt;
    }
}

observe_reply text_reply(int status, std::string body) {
    return {.status = status, .content_type = "text/plain; charset=utf-8", .body = std::move(body)};
}

}  // namespace

void master::note_spawn(worker& w) {
    w.started_unix = unix_seconds();
    w.baseline = slot_counts(board_, w.slot);
    w.thread_baseline.clear();
    for (int t = 0; t < board_.threads(); ++t) {
        const thread_counters& c = board_.thread(w.slot, t).counters;
        w.thread_baseline.push_back({c.requests.load(), static_requests(c)});
    }
    ++history_[w.id].spawns;
}

worker_counts master::life_of(const worker& w) const {
    return minus(slot_counts(board_, w.slot), w.baseline);
}

void master::note_end(const worker& w) {
    history_[w.id].ended += life_of(w);
    if (const auto cause = respawn_cause_of(w.stopping)) {
        master_counters& c = board_.counters();
        c.count(c.respawns[static_cast<std::size_t>(*cause)]);
    }
}

void master::start_observers() {
    if (settings_.stats_fd >= 0) {
        const auto how =
            settings_.stats_http ? observe_server::mode::http : observe_server::mode::raw;
        observers_.push_back(std::make_unique<observe_server>(
            io_, settings_.stats_fd, "stats " + settings_.stats_address, how,
            [this](std::string_view, std::string_view) {
                return observe_reply{.body = stats_json(view(), {.cores = settings_.stats_cores})};
            }));
    }
    if (settings_.metrics_fd >= 0) {
        observers_.push_back(std::make_unique<observe_server>(
            io_, settings_.metrics_fd, "metrics " + settings_.metrics_address,
            observe_server::mode::http,
            [this](std::string_view, std::string_view path) { return answer_metrics(path); }));
    }
    for (auto& o : observers_) {
        o->start();
    }
}

observe_reply master::answer_metrics(std::string_view path) const {
    if (path == "/metrics") {
        return {.content_type = "text/plain; version=0.0.4; charset=utf-8",
                .body = metrics_text(view())};
    }
    if (path == "/healthz") {
        // Answered by the master's loop itself: that it answers is the health.
        return text_reply(200, stopping_ ? "ok: stopping\n" : "ok\n");
    }
    if (path == "/readyz") {
        if (stopping_) {
            return text_reply(503, "not ready: gantry is stopping\n");
        }
        if (!any_accepting()) {
            return text_reply(503, cheap_ ? "not ready: cheap mode, no worker is up\n"
                                          : "not ready: no worker accepts requests yet\n");
        }
        return text_reply(200, "ready\n");
    }
    return text_reply(404, "not found: try /metrics, /healthz or /readyz\n");
}

bool master::any_accepting() const {
    return std::any_of(workers_.begin(), workers_.end(), [this](const worker& w) {
        return w.live() && board_.worker(w.slot).status.load() == worker_slot::ready;
    });
}

void master::sample_listen_queues() {
    master_counters& c = board_.counters();
    const std::size_t n = std::min(settings_.listeners.size(), counted_listeners);
    for (std::size_t i = 0; i < n; ++i) {
        const listen_queue q = read_listen_queue(settings_.listeners[i].fd);
        if (q.known && q.max > 0 && q.depth >= q.max) {
            c.count(c.listen_queue_full[i]);
        }
    }
}

worker_view master::view_of(int id) const {
    worker_view v;
    v.id = id;
    const auto history = history_.find(id);
    if (history != history_.end()) {
        v.overall = history->second.ended;
        v.harakiri_count = history->second.harakiri;
        v.respawn_count = history->second.spawns;
    }
    // The live process of this id if there is one, else one still stopping.
    const worker* found = nullptr;
    for (const worker& w : workers_) {
        if (w.id == id && (found == nullptr || (w.live() && !found->live()) ||
                           (w.live() == found->live() && w.generation > found->generation))) {
            found = &w;
        }
    }
    v.cores.resize(static_cast<std::size_t>(board_.threads()));
    if (found == nullptr) {
        return v;  // "cheap": no process has this id now
    }
    const worker& w = *found;
    const worker_slot& slot = board_.worker(w.slot);
    const int state = slot.status.load();
    const bool busy = board_.oldest_request_ms(w.slot, nullptr) != 0;
    v.pid = w.pid;
    v.status = !w.live()                        ? "stopping"
               : state == worker_slot::starting ? "starting"
               : state == worker_slot::retiring ? "retiring"
               : busy                           ? "busy"
                                                : "idle";
    v.accepting = w.live() && state == worker_slot::ready;
    v.life = life_of(w);
    v.overall += v.life;
    v.last_spawn = w.started_unix;
    v.memory = process_memory(w.pid);
    const std::int64_t now_ms = monotonic_ms();
    const std::int64_t now_unix = unix_seconds();
    for (int t = 0; t < board_.threads(); ++t) {
        const thread_slot& ts = board_.thread(w.slot, t);
        core_view& c = v.cores[static_cast<std::size_t>(t)];
        const auto base = static_cast<std::size_t>(t) < w.thread_baseline.size()
                              ? w.thread_baseline[static_cast<std::size_t>(t)]
                              : worker::thread_base{};
        c.requests = ts.counters.requests.load() - base.requests;
        c.static_requests = static_requests(ts.counters) - base.static_requests;
        const std::int64_t started = ts.request_started_ms.load();
        if (started != 0) {
            c.in_request = true;
            c.request = ts.current_request();
            c.request_started = now_unix - (now_ms - started) / 1000;
        }
    }
    return v;
}

pool_view master::view() const {
    pool_view v;
    v.master_pid = getpid();
    std::error_code ec;
    v.cwd = std::filesystem::current_path(ec).string();
    v.target = cheap_ ? 0 : target_;
    v.stopping = stopping_;
    v.cheap = cheap_;
    int ids = std::max(target_, settings_.processes);
    for (const worker& w : workers_) {
        ids = std::max(ids, w.id);
    }
    for (int id = 1; id <= ids; ++id) {
        v.workers.push_back(view_of(id));
    }
    const master_counters& c = board_.counters();
    for (std::size_t i = 0; i < settings_.listeners.size(); ++i) {
        const auto& l = settings_.listeners[i];
        const listen_queue q = read_listen_queue(l.fd);
        v.listeners.push_back(
            {.name = l.name,
             .proto = l.proto,
             .queue_known = q.known,
             .queue = q.depth,
             .max_queue = q.max,
             .queue_full = i < counted_listeners ? c.listen_queue_full[i].load() : 0});
    }
    for (const cron_status& s : cron_.status()) {
        v.crons.push_back(
            {.schedule = s.schedule, .command = s.name, .pid = s.pid, .started_at = s.started_at});
    }
    v.totals = sum_counters(board_);
    return v;
}

}  // namespace gantry::server
