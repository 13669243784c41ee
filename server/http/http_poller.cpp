#include "server/http/http_poller.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "server/log/log.hpp"
#include "server/net/peer_address.hpp"
#include "server/net/socket_options.hpp"

namespace gantry::server {
namespace {

// epoll data: a connection is tagged with its descriptor, the rest above 32 bits.
constexpr std::uint64_t listener_tag = std::uint64_t{1} << 32;
constexpr std::uint64_t wake_tag = std::uint64_t{2} << 32;

// Idle connections are swept, and epoll_wait times out, at this pace.
constexpr auto sweep_every = std::chrono::seconds(1);
// While accepting is paused, the pace at which a free slot is looked for.
constexpr auto paused_poll = std::chrono::milliseconds(100);
// After accept() failed for want of descriptors or memory: not before this much later.
constexpr auto accept_back_off = std::chrono::milliseconds(100);
constexpr int max_events = 64;
// Request buffers kept for the next request: enough for every request thread and a few
// connections whose head or body is on its way; beyond, they are freed (~30 KiB each).
constexpr std::size_t kept_buffers = 16;

bool out_of_resources(int err) {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

http_poller::http_poller(std::span<const listener> listeners, const http_settings& settings,
                         int keepalive_timeout, int max_connections)
    : listeners_(listeners),
      buffers_(kept_buffers, [this] { return make_request_buffers(settings_); }),
      settings_(settings),
      keepalive_timeout_(std::chrono::seconds(keepalive_timeout)),
      max_connections_(max_connections),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      next_sweep_(clock::now() + sweep_every) {
    settings_.open_count = &open_;
    settings_.buffers = &buffers_;
    // A throw below closes both: they are members already.
    if (!epoll_fd_ || !wake_fd_ || !watch(wake_fd_.get(), EPOLLIN, wake_tag)) {
        throw std::runtime_error(std::string("cannot set up the HTTP poller: ") +
                                 std::strerror(errno));
    }
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        const int fd = listeners[i].fd();
        // Non-blocking, so that a connection another worker took first costs an EAGAIN.
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        // Exclusive: a new connection wakes one idle worker, not all of them.
        if (!watch(fd, EPOLLIN | EPOLLEXCLUSIVE, listener_tag + i)) {
            throw std::runtime_error(std::string("cannot watch a listener: ") +
                                     std::strerror(errno));
        }
    }
}

// EPOLLEXCLUSIVE registrations cannot be modified, only deleted and added again.
void http_poller::pause_accepting(clock::time_point until) {
    resume_at_ = until;
    if (!accepting_) {
        return;
    }
    accepting_ = false;
    for (const listener& l : listeners_) {
        epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, l.fd(), nullptr);
    }
}

void http_poller::resume_accepting() {
    accepting_ = true;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (!watch(listeners_[i].fd(), EPOLLIN | EPOLLEXCLUSIVE, listener_tag + i)) {
            log::warning("worker {}: cannot watch a listener again: {}", settings_.worker_id,
                         std::strerror(errno));
        }
    }
}

bool http_poller::watch(int fd, std::uint32_t events, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    return epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void http_poller::enqueue(work_item&& item) {
    if (ready_.full()) {
        ready_.set_capacity(ready_.capacity() * 2);
    }
    ready_.push_back(std::move(item));
}

work_item http_poller::next(std::error_code& ec) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!ready_.empty()) {
            work_item item = std::move(ready_.front());
            ready_.pop_front();
            // Hand what is left, or the polling, to an idle thread (no system call when
            // there is none, as with one thread per worker).
            if (!ready_.empty() || !polling_) {
                idle_threads_.notify_one();
            }
            return item;
        }
        if (stopping_) {
            return {};
        }
        if (polling_) {
            idle_threads_.wait(lock);
            continue;
        }
        poll(lock, ec);
        if (ec) {
            return {};
        }
    }
}

void http_poller::poll(std::unique_lock<std::mutex>& lock, std::error_code& ec) {
    polling_ = true;
    lock.unlock();
    epoll_event events[max_events];
    const int timeout_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                accepting_ ? sweep_every : paused_poll)
                                                .count());
    const int n = epoll_wait(epoll_fd_.get(), events, max_events, timeout_ms);
    const int wait_errno = errno;
    lock.lock();
    polling_ = false;
    if (n < 0 && wait_errno != EINTR) {
        ec.assign(wait_errno, std::generic_category());
        return;
    }
    for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == wake_tag) {
            continue;  // stop(): stopping_ is set, and the loop in next() sees it
        }
        if (tag >= listener_tag) {
            if (!stopping_) {
                accept_one(listeners_[tag - listener_tag]);
            }
            continue;
        }
        // A parked connection has its next request (or its end): EPOLLONESHOT has disarmed it.
        const auto fd = static_cast<std::size_t>(tag);
        if (fd < parked_.size() && parked_[fd]) {
            enqueue({.http = std::move(parked_[fd]), .uwsgi = {}, .peer = {}});
        }
    }
    const clock::time_point now = clock::now();
    if (now >= next_sweep_) {
        close_expired(now);
        next_sweep_ = now + sweep_every;
    }
    if (!accepting_ && !stopping_ && now >= resume_at_ &&
        open_.load(std::memory_order_relaxed) < max_connections_) {
        resume_accepting();
    }
}

// One accept per wake-up: each idle worker takes one connection, which spreads a burst of
// clients across the workers instead of onto the first.
void http_poller::accept_one(const listener& from) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    unique_fd conn(accept4(from.fd(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
    if (!conn) {
        accept_failed(errno);
        return;
    }
    if (!from.passes_timeouts()) {
        set_io_timeout(conn.get(), static_cast<int>(settings_.timeouts.stall.count()));
    }
    if (from.speaks() == listener::protocol::uwsgi) {
        enqueue({.http = nullptr, .uwsgi = std::move(conn), .peer = peer});
        return;
    }
    // Responses go out in one or two writes: Nagle would only add delay (a no-op on unix
    // sockets).
    const int on = 1;
    setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // Served at once: a client sends its request as soon as it is connected, and a head
    // that is not complete yet is parked by the request thread without waiting for it.
    enqueue({.http = std::make_unique<http_connection>(std::move(conn), peer_address_of(peer),
                                                       settings_),
             .uwsgi = {},
             .peer = {}});
    if (open_.load(std::memory_order_relaxed) >= max_connections_) {
        pause_accepting(clock::now());
    }
}

void http_poller::accept_failed(int err) {
    if (err == EAGAIN || err == ECONNABORTED || err == EINTR) {
        return;  // another worker was first, or the client gave up
    }
    if (err == EINVAL) {
        // The master shut the listeners down (gantry is stopping; this worker's SIGTERM is
        // on its way): accepting is over for good.
        pause_accepting(clock::time_point::max());
        return;
    }
    const clock::time_point now = clock::now();
    if (out_of_resources(err)) {
        // Accepting again at once would fail again at once: the listeners rest a moment.
        pause_accepting(now + accept_back_off);
    }
    if (std::uint64_t times = 0; accept_errors_.due(now, times)) {
        log::warning("worker {}: accept: {} ({}x in the last second){}", settings_.worker_id,
                     std::strerror(err), times,
                     err == EMFILE || err == ENFILE
                         ? "; clients wait in the listen queue: raise the descriptor limit "
                           "(ulimit -n, LimitNOFILE=) or lower --max-connections"
                         : "");
    }
}

void http_poller::close_expired(clock::time_point now) {
    for (std::size_t fd = 0; fd < parked_.size(); ++fd) {
        if (parked_[fd] && now >= parked_until_[fd]) {
            parked_[fd]->expire(now);
            parked_[fd].reset();  // closing it also takes it out of the epoll set
        }
    }
}

void http_poller::park(std::unique_ptr<http_connection> connection) {
    connection->release_buffers_if_idle();  // before the lock: the pool has its own
    const int fd = connection->fd();
    const std::lock_guard lock(mutex_);
    if (stopping_) {
        return;  // closed as it goes out of scope
    }
    const auto slot = static_cast<std::size_t>(fd);
    if (slot >= parked_.size()) {
        parked_.resize(slot + 1);
        parked_until_.resize(slot + 1);
    }
    // Held under the lock with the epoll_ctl: the event may fire on the polling thread at once.
    parked_until_[slot] = connection->parked_until(clock::now(), keepalive_timeout_);
    parked_[slot] = std::move(connection);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = slot;
    // Re-armed after each request; added the first time it is parked.
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0 &&
        (errno != ENOENT || epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)) {
        log::warning("worker {}: cannot watch a keep-alive connection: {}; closed",
                     settings_.worker_id, std::strerror(errno));
        parked_[slot].reset();
    }
}

void http_poller::requeue(work_item item) {
    {
        const std::lock_guard lock(mutex_);
        enqueue(std::move(item));
    }
    idle_threads_.notify_one();
}

void http_poller::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        parked_.clear();  // idle keep-alive connections are closed now
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(wake_fd_.get(), &one, sizeof one);
    idle_threads_.notify_all();
}

}  // namespace gantry::server
