// Where a worker with HTTP listeners gets its work: one epoll set holds the listeners and
// every idle keep-alive connection, and whichever request thread is free waits on it (a
// leader/follower pool, no I/O thread). A connection joins the FIFO of ready work only when
// it has a request to serve, so a request thread never waits on an idle client, and a new
// client is never stuck behind busy keep-alive ones. With one thread a keep-alive request
// costs four system calls: epoll_wait, recv, sendmsg and the epoll_ctl that re-arms it.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include <boost/circular_buffer.hpp>

#include "server/http/http_connection.hpp"
#include "server/log/log_throttle.hpp"
#include "server/net/listener.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

// One unit of work: an HTTP connection with a request coming, or a fresh uwsgi connection.
struct work_item {
    std::unique_ptr<http_connection> http;
    unique_fd uwsgi;
    sockaddr_storage peer{};  // of a uwsgi connection, for its log lines

    bool empty() const noexcept { return !http && !uwsgi; }
};

class http_poller {
public:
    // Watches every listener: HTTP connections are served as soon as they are accepted (their
    // request is normally there already), uwsgi ones (a worker may serve both) likewise.
    // With `max_connections` HTTP connections open, it stops accepting until one closes: the
    // next clients wait in the listen queue (where they cost no memory here), or another
    // worker takes them.
    http_poller(std::span<const listener> listeners, const http_settings& settings,
                int keepalive_timeout, int max_connections);
    http_poller(const http_poller&) = delete;
    http_poller& operator=(const http_poller&) = delete;

    // Blocks until there is work, waiting on the epoll set itself when no other thread does.
    // After stop(), what is ready is still handed out, then an empty item. An empty item
    // and `ec` set: the epoll set cannot be waited on any more (the caller decides what then).
    work_item next(std::error_code& ec);

    // The connection waits for its next request, without its request buffers when none has
    // begun; it is closed after the keep-alive timeout
    // if none comes, or answered 408 and closed if the head it began is not complete within
    // --http-header-timeout of its first byte (both checked once a second).
    void park(std::unique_ptr<http_connection> connection);

    // Its next request is already in its buffer (pipelined): to the back of the line.
    void requeue(work_item item);

    // From the worker's signal thread: stop accepting, close the idle connections, and let
    // next() drain what is ready.
    void stop();

private:
    using clock = std::chrono::steady_clock;

    // Queues `item` for the next free thread; the caller holds the mutex.
    void enqueue(work_item&& item);
    void poll(std::unique_lock<std::mutex>& lock, std::error_code& ec);
    void accept_one(const listener& from);
    // Takes the listeners out of the epoll set until `until` and until a connection slot is
    // free; resume() puts them back.
    void pause_accepting(clock::time_point until);
    void resume_accepting();
    void accept_failed(int err);
    void close_expired(clock::time_point now);
    bool watch(int fd, std::uint32_t events, std::uint64_t tag);

    std::span<const listener> listeners_;
    std::atomic<int> open_{0};  // HTTP connections alive (see http_settings::open_count)
    // The request buffers of the connections being served (see http_settings::buffers).
    // Declared before every connection's holder: the connections give theirs back as they go.
    object_pool<request_buffers> buffers_;
    http_settings settings_;
    clock::duration keepalive_timeout_;
    int max_connections_;
    unique_fd epoll_fd_;
    unique_fd wake_fd_;  // an eventfd: stop() wakes the thread in epoll_wait

    std::mutex mutex_;  // guards everything below
    std::condition_variable idle_threads_;
    // A ring that only grows: a deque would allocate a node every few requests.
    boost::circular_buffer<work_item> ready_{16};
    bool polling_ = false;  // a thread is in epoll_wait (or handling what it returned)
    bool stopping_ = false;
    bool accepting_ = true;        // the listeners are in the epoll set
    clock::time_point resume_at_;  // when paused: not before this (after EMFILE, a back-off)
    log::throttle accept_errors_;
    // Parked connections by descriptor, and until when; null where none is parked. Declared
    // after the epoll set, so destroyed (closed) before it.
    std::vector<std::unique_ptr<http_connection>> parked_;
    std::vector<clock::time_point> parked_until_;
    clock::time_point next_sweep_;
};

}  // namespace gantry::server
