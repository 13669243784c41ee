#include "server/master/master.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "server/log/log.hpp"
#include "server/process/exit_status.hpp"
#include "server/process/fork_process.hpp"

namespace gantry::server {
namespace {

using namespace std::chrono_literals;

// A worker that dies this soon after starting is failing at start-up: respawning it at
// once would spin, so it waits.
constexpr auto min_lifetime = 1s;
constexpr auto respawn_delay = 1s;
// Until graceful shutdown lands, workers get this long to exit before SIGKILL.
constexpr auto stop_timeout = 10s;

const char* signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev != nullptr ? abbrev : "?";
}

}  // namespace

master::master(const master_settings& settings, embed::interpreter& python, worker_main main)
    : settings_(settings),
      python_(python),
      worker_main_(std::move(main)),
      signals_(io_, SIGINT, SIGTERM, SIGQUIT),
      tick_(io_) {
    signals_.add(SIGCHLD);
    signals_.add(SIGHUP);
    for (int id = 1; id <= settings_.processes; ++id) {
        workers_.push_back(worker_slot{.id = id, .pid = 0, .started = {}, .respawn_at = {}});
    }
}

int master::run() {
    wait_for_signal();
    wait_for_tick();
    spawn_missing();
    log::info("gantry ready: {} worker(s) on {}", settings_.processes, settings_.listening_on);
    io_.run();
    log::info("gantry stopped");
    return 0;
}

void master::wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) {
            return;
        }
        pending_signals_.push_back(sig);
        wait_for_signal();
        step();
    });
}

void master::wait_for_tick() {
    tick_.expires_after(1s);
    tick_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        wait_for_tick();
        step();
    });
}

void master::step() {
    handle_signals();
    reap_workers();
    if (!stopping_) {
        spawn_missing();
        return;
    }
    if (!any_alive()) {
        io_.stop();
    } else if (clock::now() > stop_deadline_) {
        log::warning("workers still running {} s after stop: killing them",
                     std::chrono::seconds(stop_timeout).count());
        for (const worker_slot& w : workers_) {
            if (w.pid > 0) {
                kill(w.pid, SIGKILL);
            }
        }
    }
}

void master::handle_signals() {
    while (!pending_signals_.empty()) {
        const int sig = pending_signals_.front();
        pending_signals_.pop_front();
        switch (sig) {
            case SIGCHLD:
                break;  // reap_workers() runs next in every step
            case SIGTERM:
                log::info("SIGTERM: stopping");
                stop(SIGTERM);
                break;
            case SIGINT:
            case SIGQUIT:
                log::info("SIG{}: stopping now", signal_name(sig));
                stop(SIGKILL);
                break;
            default:
                log::warning("SIG{} ignored: reloading is not supported yet", signal_name(sig));
                break;
        }
    }
}

void master::stop(int signal_to_workers) {
    if (!stopping_) {
        stopping_ = true;
        stop_deadline_ = clock::now() + stop_timeout;
    }
    for (const worker_slot& w : workers_) {
        if (w.pid > 0) {
            kill(w.pid, signal_to_workers);
        }
    }
}

// Only our own pids: a waitpid(-1) would also take the statuses of children that other
// parts of the master (cron commands, later) wait for themselves.
void master::reap_workers() {
    for (worker_slot& w : workers_) {
        int status = 0;
        if (w.pid <= 0 || waitpid(w.pid, &status, WNOHANG) != w.pid) {
            continue;
        }
        const auto now = clock::now();
        if (stopping_) {
            log::info("worker {} (pid {}) {}", w.id, w.pid, describe_exit(status));
        } else if (now - w.started < min_lifetime) {
            w.respawn_at = now + respawn_delay;
            log::error("worker {} (pid {}) {} right after starting; respawning in {} s", w.id,
                       w.pid, describe_exit(status), std::chrono::seconds(respawn_delay).count());
        } else {
            log::warning("worker {} (pid {}) {}; respawning", w.id, w.pid, describe_exit(status));
        }
        w.pid = 0;
    }
}

void master::spawn_missing() {
    const auto now = clock::now();
    for (worker_slot& w : workers_) {
        if (w.pid == 0 && now >= w.respawn_at) {
            spawn(w);
        }
    }
}

void master::spawn(worker_slot& slot) {
    const int id = slot.id;
    try {
        slot.pid = fork_process(io_, python_, [this, id] { return worker_main_(id); });
    } catch (const std::system_error& e) {
        log::error("cannot spawn worker {}: {}; retrying", id, e.what());
        slot.respawn_at = clock::now() + respawn_delay;
        return;
    }
    slot.started = clock::now();
    log::info("spawned worker {} (pid {})", id, slot.pid);
}

bool master::any_alive() const {
    for (const worker_slot& w : workers_) {
        if (w.pid > 0) {
            return true;
        }
    }
    return false;
}

}  // namespace gantry::server
