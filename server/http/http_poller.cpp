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

namespace gantry::server {
namespace {

// epoll data: a connection is tagged with its descriptor, the rest above 32 bits.
constexpr std::uint64_t listener_tag = std::uint64_t{1} << 32;
constexpr std::uint64_t wake_tag = std::uint64_t{2} << 32;

// Idle connections are swept, and epoll_wait times out, at this pace.
constexpr auto sweep_every = std::chrono::seconds(1);
constexpr int max_events = 64;

}  // namespace

http_poller::http_poller(std::span<const listener> listeners, const http_settings& settings,
                         int keepalive_timeout)
    : listeners_(listeners),
      settings_(settings),
      keepalive_timeout_(std::chrono::seconds(keepalive_timeout)),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      next_sweep_(clock::now() + sweep_every) {
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
    const int timeout_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(sweep_every).count());
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
        close_idle(now);
        next_sweep_ = now + sweep_every;
    }
}

// One accept per wake-up: each idle worker takes one connection, which spreads a burst of
// clients across the workers instead of onto the first.
void http_poller::accept_one(const listener& from) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    unique_fd conn(accept4(from.fd(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
    if (!conn) {
        if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR) {
            log::warning("worker {}: accept: {}", settings_.worker_id, std::strerror(errno));
        }
        return;
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
}

void http_poller::close_idle(clock::time_point now) {
    for (std::size_t fd = 0; fd < parked_.size(); ++fd) {
        if (parked_[fd] && now - parked_since_[fd] >= keepalive_timeout_) {
            parked_[fd].reset();  // closing it also takes it out of the epoll set
        }
    }
}

void http_poller::park(std::unique_ptr<http_connection> connection) {
    const int fd = connection->fd();
    const std::lock_guard lock(mutex_);
    if (stopping_) {
        return;  // closed as it goes out of scope
    }
    const auto slot = static_cast<std::size_t>(fd);
    if (slot >= parked_.size()) {
        parked_.resize(slot + 1);
        parked_since_.resize(slot + 1);
    }
    // Held under the lock with the epoll_ctl: the event may fire on the polling thread at once.
    parked_[slot] = std::move(connection);
    parked_since_[slot] = clock::now();
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
