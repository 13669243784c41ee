#include "server/worker/worker_control.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "server/log/log.hpp"
#include "server/log/log_file.hpp"

namespace gantry::server::worker_control {
namespace {

std::atomic<bool> stop_requested{false};
std::mutex loops_mutex;
std::vector<pthread_t> loops;
std::function<void()> stop_hook;

// Interrupts accept() and poll() (no SA_RESTART); the loops then see stopping().
int wake_signal() {
    return SIGRTMIN + 1;
}
void on_wake(int) {}

void wake_loops() {
    const std::lock_guard lock(loops_mutex);
    for (pthread_t t : loops) {
        pthread_kill(t, wake_signal());
    }
}

void signal_thread(sigset_t watched) {
    for (;;) {
        // While stopping, wake the loops again now and then: one may have been between
        // its check of stopping() and its accept() when the first wake-up came.
        const timespec every{.tv_sec = 0, .tv_nsec = 100'000'000};
        const int sig = stop_requested ? sigtimedwait(&watched, nullptr, &every)
                                       : sigwaitinfo(&watched, nullptr);
        if (sig == SIGTERM && !stop_requested.exchange(true)) {
            if (stop_hook) {
                stop_hook();
            }
        } else if (sig == SIGINT || sig == SIGQUIT) {
            std::_Exit(0);
        } else if (sig == SIGUSR1) {
            reopen_log_file();
        }
        if (stop_requested) {
            wake_loops();
        }
    }
}

}  // namespace

void start(std::function<void()> on_stop) {
    stop_hook = std::move(on_stop);
    struct sigaction wake {};
    wake.sa_handler = on_wake;
    sigemptyset(&wake.sa_mask);
    sigaction(wake_signal(), &wake, nullptr);
    // Blocked here, so in every thread started from now on: only the signal thread takes them.
    sigset_t watched;
    sigemptyset(&watched);
    for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP}) {
        sigaddset(&watched, sig);
    }
    pthread_sigmask(SIG_BLOCK, &watched, nullptr);
    std::thread(signal_thread, watched).detach();
}

bool stopping() noexcept {
    return stop_requested.load(std::memory_order_relaxed);
}

void retire() noexcept {
    if (!stop_requested.exchange(true) && stop_hook) {
        stop_hook();
    }
    // The signal thread wakes the other loops, and keeps waking them, as after the master's.
    kill(getpid(), SIGTERM);
}

void loop_started() {
    const std::lock_guard lock(loops_mutex);
    loops.push_back(pthread_self());
}

void loop_ended() {
    std::unique_lock lock(loops_mutex);
    std::erase(loops, pthread_self());
    if (!stopping()) {
        lock.unlock();
        log::error("a request loop ended without a stop; the worker exits");
        std::_Exit(1);
    }
    if (loops.empty()) {
        std::_Exit(0);
    }
    lock.unlock();
    // Other loops are still finishing their requests: this thread just waits for the end.
    for (;;) {
        pause();
    }
}

}  // namespace gantry::server::worker_control
