// The pool half of the master: spawning, reloads, recycling and harakiri.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fstream>

#include "server/log/log.hpp"
#include "server/master/master.hpp"
#include "server/master/recycle_policy.hpp"
#include "server/master/respawn_backoff.hpp"
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
        note_spawn(w);  // its counts from here on: what came before is the old master's
        if (!w.live()) {
            w.stop_note = "asked to stop before the reload";
        }
        workers_.push_back(w);
        generation_ = std::max(generation_, p.generation + 1);
        last_generation_ = std::max(last_generation_, generation_);
    }
    chain_reload_ = chain;
    // Without an app (this master's import failed) nothing can replace them: they must not
    // retire at --max-requests, or the pool would empty itself.
    set_replaceable(static_cast<bool>(worker_main_));
    if (!workers.empty()) {
        log::info("taking over {} worker(s) of the previous master; replacing them {}",
                  workers.size(), chain ? "one at a time" : "once the new ones are up");
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
        if (w.stopping != stop_cause::harakiri) {  // after its traceback dump, SIGKILL is the plan
            log::warning("worker {} (pid {}) still running at its stop deadline ({}): killing it",
                         w.id, w.pid, w.stop_note);
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
        if (settings_.harakiri == 0 || running <= settings_.harakiri * 1000LL ||
            w.stopping == stop_cause::harakiri) {
            continue;
        }
        log::error(
            "harakiri: worker {} (pid {}) has been serving {} for {:.1f} s (limit {} s); "
            "its Python traceback follows, then it is killed",
            w.id, w.pid, board_.thread(w.slot, thread).current_request(),
            static_cast<double>(running) / 1000, settings_.harakiri);
        kill(w.pid, SIGUSR2);  // faulthandler in the worker dumps every thread's traceback
        stop_worker(w, SIGTERM, stop_cause::harakiri, "harakiri", harakiri_grace);
        board_.counters().count(board_.counters().harakiri_kills);
        ++history_[w.id].harakiri;
    }
}

void master::check_recycling() {
    for (const worker& w : workers_) {
        if (is_recycle(w.stopping) || w.generation != generation_) {
            return;  // one at a time, and never during a reload
        }
    }
    // --max-requests is the worker's own business (it stops taking requests at its limit and
    // rings the doorbell: see note_worker_states), so that it never serves one more.
    const recycle_limits limits{.max_requests = 0,
                                .max_rss_kb = settings_.reload_on_rss_mb * 1024,
                                .max_lifetime_ms = settings_.max_worker_lifetime * 1000LL};
    for (worker& w : workers_) {
        worker_slot& slot = board_.worker(w.slot);
        // A worker still starting is not judged yet: a limit below what any fresh worker
        // uses would otherwise replace workers as fast as they can be forked.
        if (!w.live() || slot.status.load() != worker_slot::ready || !slot.replaceable.load() ||
            clock::now() - w.started < min_worker_lifetime) {
            continue;
        }
        const std::uint64_t rss = limits.max_rss_kb != 0 ? rss_kb(w.pid) : 0;
        const recycle_verdict due = recycle_due(
            {.requests = slot.requests.load(),
             .rss_kb = rss,
             .age_ms =
                 std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - w.started)
                     .count()},
            limits);
        if (due.cause != stop_cause::none) {
            // The replacement first, so that capacity never drops, even with one worker.
            const pid_t old_pid = w.pid;
            spawn(w.id);
            for (worker& old : workers_) {  // spawn() may have moved the vector
                if (old.pid == old_pid) {
                    stop_worker(old, SIGTERM, due.cause, "recycled: " + due.why,
                                settings_.graceful_timeout);
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
                busy |= w.generation == generation_ && w.live() &&
                        board_.worker(w.slot).status.load() != worker_slot::ready;
            }
            if (busy) {
                break;
            }
            // And one fork per step: a fresh worker can be ready before this loop looks at
            // the next id, and a fast pool would otherwise be replaced all at once.
            spawn(id);
            break;
        }
        spawn(id);
    }
    bool old_left = false;
    const bool new_ready = all_ready(generation_);
    for (worker& w : workers_) {
        if (w.generation == generation_ || !w.live()) {
            continue;
        }
        old_left = true;
        worker* replacement = find_live(w.id, generation_);
        const bool replaced =
            chain_reload_ ? replacement != nullptr &&
                                board_.worker(replacement->slot).status.load() == worker_slot::ready
                          : new_ready;
        if (w.id > target_ || replaced) {
            stop_worker(w, SIGTERM, stop_cause::reload, "replaced by a reload",
                        settings_.graceful_timeout);
        }
    }
    if (!old_left && chain_reload_) {
        chain_reload_ = false;
    }
    if (new_ready && target_ > 0 && announced_generation_ != generation_) {
        announced_generation_ = generation_;
        log::info("gantry ready: {} worker(s) of generation {} on {}", target_, generation_,
                  settings_.listening_on);
        systemd_.ready(fmt::format("{} worker(s) ready on {}", target_, settings_.listening_on));
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
    s.status.store(worker_slot::starting);
    s.requests.store(0);
    s.replaceable.store(true);
    try {
        const worker_process proc = w;
        w.pid = fork_process(io_, python_, [this, proc] {
            // A worker has no use for the --stats/--metrics sockets; holding them, it would
            // keep them open past a master that went away.
            for (const int fd : {settings_.stats_fd, settings_.metrics_fd}) {
                if (fd >= 0) {
                    const unique_fd closed(fd);
                }
            }
            return worker_main_(proc);
        });
    } catch (const std::system_error& e) {
        s.status.store(worker_slot::free);
        log::error("cannot spawn worker {}: {}; retrying", id, e.what());
        respawn_at_[id] = clock::now() + 1s;
        return;
    }
    w.started = clock::now();
    note_spawn(w);
    workers_.push_back(w);
    log::info("spawned worker {} (pid {}, generation {})", id, w.pid, generation_);
}

void master::stop_worker(worker& w, int sig, stop_cause cause, const std::string& note,
                         std::chrono::seconds grace) {
    if (cause == stop_cause::harakiri) {  // check_harakiri has said why, at length
        w.stopping = cause;
        w.stop_note = note;
    } else if (w.live()) {
        w.stopping = cause;
        w.stop_note = note;
        log::info("stopping worker {} (pid {}): {}", w.id, w.pid, note);
    }
    kill(w.pid, sig);
    w.kill_at = std::min(w.kill_at, clock::now() + grace);
}

void master::begin_reload(bool chain, std::string_view how) {
    systemd_.reloading(how);
    if (reexec_) {
        // The app was imported here: only a fresh master imports it afresh.
        log::info("{}: starting a fresh master; the workers keep serving meanwhile", how);
        // Stopping ones too: left out, they would never be reaped, killed at their deadline
        // or counted in their scoreboard slot.
        const std::vector<worker_process> all(workers_.begin(), workers_.end());
        touches_.hand_over();
        fifos_.hand_over();
        reexec_(all, chain);
        fifos_.withdraw_hand_over();
        touch_watch::withdraw_hand_over();
        log::error("{}: could not start a fresh master; carrying on as before", how);
        systemd_.ready(fmt::format("reload failed (exec); {} worker(s) serve on", target_));
        return;
    }
    generation_ = ++last_generation_;
    chain_reload_ = chain;
    log::info("{}: generation {} of workers imports the app afresh", how, generation_);
}

void master::begin_workers_reload(std::string_view why) {
    if (!worker_main_) {
        log::warning("{}: no app to give new workers (the last reload failed); not reloading", why);
        return;
    }
    systemd_.reloading(why);
    generation_ = ++last_generation_;
    chain_reload_ = false;
    log::info("{}: reloading the workers; generation {} is forked from this master", why,
              generation_);
}

bool master::all_ready(std::uint32_t generation) const {
    for (int id = 1; id <= target_; ++id) {
        bool ready = false;
        for (const worker& w : workers_) {
            ready |= w.id == id && w.generation == generation && w.live() &&
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
        if (w.id == id && w.generation == generation && w.live()) {
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
