// A lock for critical sections of a few instructions that never block, allocate or make a
// system call inside (a push or a pop on reserved storage): uncontended it costs two atomic
// operations where pthread_mutex_lock and unlock take about 55 instructions together. A thread
// that finds it held yields the CPU while it waits, so that a holder that was preempted gets
// to finish. Meets BasicLockable (std::lock_guard).
#pragma once

#include <atomic>
#include <thread>

namespace gantry::server {

class spin_lock {
public:
    void lock() noexcept {
        while (held_.test_and_set(std::memory_order_acquire)) {
            while (held_.test(std::memory_order_relaxed)) {
                std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { held_.clear(std::memory_order_release); }

private:
    std::atomic_flag held_;  // clear since C++20
};

}  // namespace gantry::server
