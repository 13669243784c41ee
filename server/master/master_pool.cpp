// The pool half of the master: spawning, reaping, reloads, recycling and harakiri.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fstream>

#include "server/log/log.hpp"
#include "server/master/master.hpp"
#include "server/master/recycle_policy.hpp"
#include "server/master/respawn_backoff.hpp"
#include "server/process/exit_status.hpp"
#include "server/process/fork_process.hpp"

namespace gantry::server {
namespace {

using namespace std::chrono_literals;

// Between the traceback dump and SIGKILL, so the dump reaches the log.
constexpr std::chrono::seconds harakiri_grace{1};

std::uint64_t rss_kb(pid_t pid) {
    std::ifstream statm(fmt::format("/proc/{}/statm", pid));
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

}  // namespace

void master::adopt(const std::vector<worker_process>& workers, bool chain) {
    for (const worker_process& p : workers) {
        worker w;
        static_cast<worker_process&>(w) = p;
        w.started = clock::now() - min_worker_lifetime;
        workers_.push_back(w);
        generation_ = std::max(generation_, p.generation + 1);
    }
    chain_reload_ = chain;
    if (!workers.empty()) {
        log::info("taking over {} worker(s) of the previous master; replacing them {}",
                  workers.size(), chain ? "one at a time" : "once the new ones are up");
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

void master::reap_workers() {
    for (auto it = workers_.begin(); it != workers_.end();) {
        int status = 0;
        if (waitpid(it->pid, &status, WNOHANG) != it->pid) {
            ++it;
            continue;
        }
        const worker& w = *it;
        const auto age = clock::now() - w.started;
        if (!w.stop_reason.empty()) {
            log::info("worker {} (pid {}) {} ({})", w.id, w.pid, describe_exit(status),
                      w.stop_reason);
        } else if (age < min_worker_lifetime) {
            const int deaths = ++quick_deaths_[w.id];
            const auto delay = respawn_delay(deaths);
            respawn_at_[w.id] = clock::now() + delay;
            log::error(
                "worker {} (pid {}) {} right after starting ({} time(s) in a row); "
                "respawning in {} ms",
                w.id, w.pid, describe_exit(status), deaths, delay.count());
        } else {
            quick_deaths_[w.id] = 0;
            log::warning("worker {} (pid {}) {}{}; respawning", w.id, w.pid, describe_exit(status),
                         serving(w));
        }
        worker_slot& slot = board_.worker(w.slot);
        for (int t = 0; t < board_.threads(); ++t) {
            board_.thread(w.slot, t).end();
        }
        slot.status.store(worker_slot::free);
        slot.pid.store(0);
        it = workers_.erase(it);
    }
}

// The one deadline mechanism: a worker asked to stop (graceful stop, reload, recycling,
// SIGTTOU, harakiri) that is still there at its kill_at gets SIGKILL.
void master::kill_overdue() {
    const auto now = clock::now();
    for (worker& w : workers_) {
        if (now < w.kill_at) {
            continue;
        }
        if (!w.harakiri) {  // after harakiri's traceback dump, SIGKILL is the plan
            log::warning("worker {} (pid {}) still running at its stop deadline ({}): killing it",
                         w.id, w.pid, w.stop_reason);
        }
        kill(w.pid, SIGKILL);
        w.kill_at = clock::time_point::max();
    }
}

void master::check_harakiri() {
    for (worker& w : workers_) {
        int thread = 0;
        const std::int64_t started = board_.oldest_request_ms(w.slot, &thread);
        const std::int64_t running = started == 0 ? 0 : monotonic_ms() - started;
        if (settings_.harakiri == 0 || running <= settings_.harakiri * 1000LL || w.harakiri) {
            continue;
        }
        w.harakiri = true;
        log::error(
            "harakiri: worker {} (pid {}) has been serving {} for {:.1f} s (limit {} s); "
            "its Python traceback follows, then it is killed",
            w.id, w.pid, board_.thread(w.slot, thread).current_request(),
            static_cast<double>(running) / 1000, settings_.harakiri);
        board_.worker(w.slot).harakiri_count.fetch_add(1);
        kill(w.pid, SIGUSR2);  // faulthandler in the worker dumps every thread's traceback
        stop_worker(w, SIGTERM, "harakiri", harakiri_grace);
    }
}

void master::check_recycling() {
    for (const worker& w : workers_) {
        if (w.stop_reason.starts_with("recycled") || w.generation != generation_) {
            return;  // one at a time, and never during a reload
        }
    }
    const recycle_limits limits_base{.max_requests = 0,
                                     .max_rss_kb = settings_.reload_on_rss_mb * 1024,
                                     .max_lifetime_ms = settings_.max_worker_lifetime * 1000LL};
    for (worker& w : workers_) {
        worker_slot& slot = board_.worker(w.slot);
        // A worker still starting is not judged yet: a limit below what any fresh worker
        // uses would otherwise replace workers as fast as they can be forked.
        if (!w.stop_reason.empty() || slot.status.load() != worker_slot::ready ||
            clock::now() - w.started < min_worker_lifetime) {
            continue;
        }
        const std::uint64_t rss = limits_base.max_rss_kb != 0 ? rss_kb(w.pid) : 0;
        slot.rss_kb.store(rss);
        recycle_limits limits = limits_base;
        limits.max_requests = w.max_requests;
        const std::string reason = recycle_reason(
            {.requests = slot.requests.load(),
             .rss_kb = rss,
             .age_ms =
                 std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - w.started)
                     .count()},
            limits);
        if (!reason.empty()) {
            // The replacement first, so that capacity never drops, even with one worker.
            const pid_t old_pid = w.pid;
            spawn(w.id);
            for (worker& old : workers_) {  // spawn() may have moved the vector
                if (old.pid == old_pid) {
                    stop_worker(old, SIGTERM, "recycled: " + reason, settings_.graceful_timeout);
                }
            }
            return;
        }
    }
}

void master::manage_pool() {
    if (!worker_main_) {
        return;  // no application to give new workers
    }
    const auto now = clock::now();
    for (int id = 1; id <= target_; ++id) {
        if (find_live(id, generation_) != nullptr || respawn_at_[id] > now) {
            continue;
        }
        if (chain_reload_) {
            // One replacement at a time: wait while another new worker is still starting.
            bool busy = false;
            for (const worker& w : workers_) {
                busy |= w.generation == generation_ && w.stop_reason.empty() &&
                        board_.worker(w.slot).status.load() != worker_slot::ready;
            }
            if (busy) {
                break;
            }
        }
        spawn(id);
    }
    bool old_left = false;
    const bool new_ready = all_ready(generation_);
    for (worker& w : workers_) {
        if (w.generation == generation_ || !w.stop_reason.empty()) {
            continue;
        }
        old_left = true;
        worker* replacement = find_live(w.id, generation_);
        const bool replaced =
            chain_reload_ ? replacement != nullptr &&
                                board_.worker(replacement->slot).status.load() == worker_slot::ready
                          : new_ready;
        if (w.id > target_ || replaced) {
            stop_worker(w, SIGTERM, "replaced by a reload", settings_.graceful_timeout);
        }
    }
    if (!old_left && chain_reload_) {
        chain_reload_ = false;
    }
    if (new_ready && target_ > 0 && announced_generation_ != generation_) {
        announced_generation_ = generation_;
        log::info("gantry ready: {} worker(s) of generation {} on {}", target_, generation_,
                  settings_.listening_on);
    }
}

void master::spawn(int id) {
    const int slot = free_slot();
    if (slot < 0) {
        log::error("no scoreboard slot left for worker {}", id);
        respawn_at_[id] = clock::now() + 1s;
        return;
    }
    worker w;
    w.id = id;
    w.slot = slot;
    w.generation = generation_;
    w.max_requests =
        jittered_max_requests(settings_.max_requests, settings_.max_requests_delta, random_());
    worker_slot& s = board_.worker(slot);
    s.id.store(id);
    s.generation.store(generation_);
    s.status.store(worker_slot::starting);
    s.started_ms.store(monotonic_ms());
    for (auto* counter :
         {&s.requests, &s.exceptions, &s.bytes_sent, &s.rss_kb, &s.harakiri_count}) {
        counter->store(0);
    }
    try {
        const worker_process proc = w;
        w.pid = fork_process(io_, python_, [this, proc] { return worker_main_(proc); });
    } catch (const std::system_error& e) {
        s.status.store(worker_slot::free);
        log::error("cannot spawn worker {}: {}; retrying", id, e.what());
        respawn_at_[id] = clock::now() + 1s;
        return;
    }
    s.pid.store(w.pid);
    w.started = clock::now();
    workers_.push_back(w);
    log::info("spawned worker {} (pid {}, generation {})", id, w.pid, generation_);
}

void master::stop_worker(worker& w, int sig, const std::string& reason,
                         std::chrono::seconds grace) {
    if (w.stop_reason.empty()) {
        w.stop_reason = reason;
        if (reason != "harakiri") {
            log::info("stopping worker {} (pid {}): {}", w.id, w.pid, reason);
        }
    }
    kill(w.pid, sig);
    w.kill_at = std::min(w.kill_at, clock::now() + grace);
}

void master::begin_reload(bool chain) {
    const char* how = chain ? "SIGUSR2: chain reload" : "SIGHUP: reload";
    if (reexec_) {
        // The app was imported here: only a fresh master imports it afresh.
        log::info("{}: starting a fresh master; the workers keep serving meanwhile", how);
        std::vector<worker_process> live;
        for (const worker& w : workers_) {
            if (w.stop_reason.empty()) {
                live.push_back(w);
            }
        }
        reexec_(live, chain);
        log::error("{}: could not start a fresh master; carrying on as before", how);
        return;
    }
    ++generation_;
    chain_reload_ = chain;
    log::info("{}: generation {} of workers imports the app afresh", how, generation_);
}

bool master::all_ready(std::uint32_t generation) const {
    for (int id = 1; id <= target_; ++id) {
        bool ready = false;
        for (const worker& w : workers_) {
            ready |= w.id == id && w.generation == generation && w.stop_reason.empty() &&
                     board_.worker(w.slot).status.load() == worker_slot::ready;
        }
        if (!ready) {
            return false;
        }
    }
    return true;
}

master::worker* master::find_live(int id, std::uint32_t generation) {
    for (worker& w : workers_) {
        if (w.id == id && w.generation == generation && w.stop_reason.empty()) {
            return &w;
        }
    }
    return nullptr;
}

int master::free_slot() const {
    for (int s = 0; s < board_.workers(); ++s) {
        bool used = false;
        for (const worker& w : workers_) {
            used |= w.slot == s;
        }
        if (!used) {
            return s;
        }
    }
    return -1;
}

}  // namespace gantry::server
