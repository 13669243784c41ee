// Closes connections so that the client can still read the last response: the sending side is
// shut down first, then whatever the client still sends (an upload the app did not read, the
// rest of a refused request) is read and dropped until the client closes, a byte cap or a
// deadline. Closing at once with unread bytes would make the kernel send a reset, which can
// destroy the response before the client (or nginx, which then answers 502) has read it.
//
// The waiting happens on one thread of its own per worker, started on first use, never on a
// request thread: a client that keeps sending holds a descriptor for a few seconds, not a
// thread. nginx does its lingering close the same way, from its event loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "server/util/unique_fd.hpp"

namespace gantry::server {

class lingering_closer {
public:
    using clock = std::chrono::steady_clock;

    // How much a closing connection may still take: the defaults are nginx's
    // lingering_timeout; the byte cap keeps a fast sender from costing CPU.
    struct limits {
        std::uint64_t max_bytes = 1024 * 1024;
        clock::duration max_time = std::chrono::seconds(5);
    };

    // Opens its epoll set now (so a worker's descriptors are all there once it is ready); the
    // thread starts with the first connection that has to wait.
    lingering_closer();
    // Stops the thread (within one sweep, 250 ms) and closes what still lingers.
    ~lingering_closer();
    lingering_closer(const lingering_closer&) = delete;
    lingering_closer& operator=(const lingering_closer&) = delete;

    // Takes `conn` and closes it once the client has closed its side, or at the limits.
    // Never blocks: what is there now is dropped at once, the rest is waited for by the
    // closer's thread.
    void linger(unique_fd conn, const limits& at_most) noexcept;

    // Connections the closer waits on at most; past it, a new one is closed at once.
    static constexpr std::size_t max_lingering = 1024;

private:
    struct lingering {
        unique_fd fd;
        clock::time_point until;
        std::uint64_t bytes_left = 0;
    };

    bool start_locked() noexcept;
    void run() noexcept;
    void drop_input(int fd) noexcept;
    void sweep(clock::time_point now) noexcept;

    std::atomic<bool> stopping_{false};
    std::mutex mutex_;  // guards everything below
    unique_fd epoll_fd_;
    std::thread thread_;  // not started: no connection had to wait yet
    std::size_t count_ = 0;
    std::vector<lingering> by_fd_;  // indexed by descriptor; empty fd where none lingers
};

// Reads and drops what `fd` has to give now, without waiting, up to `max_bytes`. True when
// the peer is done sending (end of stream or an error): the connection can be closed at once.
bool drop_pending_input(int fd, std::uint64_t& max_bytes) noexcept;

}  // namespace gantry::server
