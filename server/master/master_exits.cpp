// The exits half of the master: what workers report through the scoreboard (ready,
// retiring), and what their exits mean (exit_policy decides; this file carries it out).
#include <signal.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include "server/log/log.hpp"
#include "server/master/exit_policy.hpp"
#include "server/master/master.hpp"
#include "server/master/recycle_policy.hpp"
#include "server/process/exit_status.hpp"

namespace gantry::server {

// Runs first in every step, before reaping: a worker may report and exit between two steps,
// and its report must still decide what its exit means.
void master::note_worker_states() {
    for (worker& w : workers_) {
        const int status = board_.worker(w.slot).status.load();
        if (status == worker_slot::ready || status == worker_slot::retiring) {
            newest_ready_generation_ = std::max(newest_ready_generation_, w.generation);
        }
        if (status == worker_slot::retiring && w.live()) {
            // It takes no more requests: manage_pool() forks its replacement in this step.
            const std::uint64_t served = board_.worker(w.slot).requests.load();
            const recycle_verdict due = recycle_due(
                {.requests = served, .rss_kb = 0, .age_ms = 0},
                {.max_requests = w.max_requests, .max_rss_kb = 0, .max_lifetime_ms = 0});
            stop_worker(
                w, SIGTERM, stop_cause::max_requests,
                "recycled: " + (due.why.empty()
                                    ? fmt::format("served {} requests (--max-requests)", served)
                                    : due.why),
                settings_.graceful_timeout);
        }
    }
}

std::string master::serving(const worker& w) const {
    for (int t = 0; t < board_.threads(); ++t) {
        const thread_slot& slot = board_.thread(w.slot, t);
        if (slot.request_started_ms.load() != 0) {
            return " while serving " + slot.current_request();
        }
    }
    return {};
}

// waitpid() on each pid the master owns, never waitpid(-1): Boost.Process waits for the
// cron commands it started itself, and a blanket reap would steal their exit statuses.
void master::reap_workers() {
    for (auto it = workers_.begin(); it != workers_.end();) {
        int status = 0;
        if (waitpid(it->pid, &status, WNOHANG) != it->pid) {
            ++it;
            continue;
        }
        // Out of the list before anything is decided: its pid is free for reuse now, and a
        // halt or a failed reload signals every worker still listed.
        const worker gone = *it;
        it = workers_.erase(it);
        worker_slot& slot = board_.worker(gone.slot);
        for (int t = 0; t < board_.threads(); ++t) {
            board_.thread(gone.slot, t).end();
        }
        note_end(gone);
        on_exit(gone, status, slot.status.load() != worker_slot::starting);
        slot.status.store(worker_slot::free);
    }
}

void master::on_exit(const worker& w, int status, bool was_ready) {
    if (was_ready) {  // it reported ready since the last step, then died at once
        newest_ready_generation_ = std::max(newest_ready_generation_, w.generation);
    }
    const exit_decision d = decide_after_exit(
        {.wait_status = status,
         .asked_to_stop = !w.live(),
         .age = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - w.started),
         .generation_was_ready = w.generation <= newest_ready_generation_,
         .ever_served = newest_ready_generation_ != 0,
         .superseded = w.generation < last_generation_,
         .quick_deaths = quick_deaths_[w.id]});
    quick_deaths_[w.id] = d.quick_deaths;
    switch (d.action) {
        case after_exit::forget:
            log::info("worker {} (pid {}) {} ({})", w.id, w.pid, describe_exit(status),
                      w.stop_note);
            break;
        case after_exit::respawn:
            log::warning("worker {} (pid {}) {}{}; respawning", w.id, w.pid, describe_exit(status),
                         serving(w));
            break;
        case after_exit::respawn_later:
            respawn_at_[w.id] = clock::now() + d.delay;
            log::error(
                "worker {} (pid {}) {} right after starting ({} time(s) in a row); "
                "respawning in {} ms",
                w.id, w.pid, describe_exit(status), d.quick_deaths, d.delay.count());
            break;
        case after_exit::abandon_reload:
            abandon_reload(w, status);
            break;
        case after_exit::halt:
            halt(w, status, d.exit_code);
            break;
    }
}

// gunicorn's "App failed to load": respawning would only print the same traceback forever.
void master::halt(const worker& w, int status, int code) {
    log::error(
        "worker {} (pid {}) {} before any worker of its generation was ready: the app cannot "
        "start (its error is above); gantry stops with exit code {}",
        w.id, w.pid, describe_exit(status), code);
    if (!stopping_) {
        exit_code_ = code;
        begin_stop(SIGINT, std::chrono::seconds(3));
    }
}

// A --lazy-apps reload whose new code cannot import: the old generation serves on, as after
// a preloading master's failed reload.
void master::abandon_reload(const worker& w, int status) {
    // The newest generation that has served takes the pool back. Its workers cannot be
    // replaced now (a new one would import the broken code): they serve past --max-requests
    // and are not recycled until a reload succeeds.
    const std::uint32_t serving = newest_ready_generation_;
    log::error(
        "reload failed: worker {} (pid {}) of generation {} {} before it was ready; the "
        "workers of generation {} keep serving; fix the app and send SIGHUP again",
        w.id, w.pid, w.generation, describe_exit(status), serving);
    for (worker& o : workers_) {
        if (o.generation == w.generation) {
            stop_worker(o, SIGTERM, stop_cause::failed_reload, "its reload failed",
                        settings_.graceful_timeout);
        }
    }
    generation_ = serving;
    announced_generation_ = serving;
    systemd_.ready(fmt::format("reload failed; generation {} serves on", serving));
    chain_reload_ = false;
    respawn_at_.clear();
    set_replaceable(false);
}

void master::set_replaceable(bool can) {
    for (const worker& w : workers_) {
        if (w.live()) {
            board_.worker(w.slot).replaceable.store(can);
        }
    }
}

}  // namespace gantry::server
