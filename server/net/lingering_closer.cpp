#include "server/net/lingering_closer.hpp"
#include "server/util/lazy_thread.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace gantry::server {
namespace {

// Deadlines are checked at this pace: a lingering close lasts at most this much longer.
constexpr int sweep_ms = 250;

}  // namespace

lingering_closer::lingering_closer() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {}

lingering_closer::~lingering_closer() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool drop_pending_input(int fd, std::uint64_t& max_bytes) noexcept {
    char sink[16384];
    while (max_bytes > 0) {
        const ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0) {
            max_bytes -= std::min<std::uint64_t>(max_bytes, static_cast<std::uint64_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
    return true;  // the cap: closing now, a reset or not, is the lesser harm
}

void lingering_closer::linger(unique_fd conn, const limits& at_most) noexcept {
    const int fd = conn.get();
    if (fd < 0) {
        return;
    }
    shutdown(fd, SHUT_WR);  // the response is complete: the client sees the end of it now
    std::uint64_t budget = at_most.max_bytes;
    if (drop_pending_input(fd, budget)) {
        return;  // closed as `conn` goes out of scope
    }
    const std::lock_guard lock(mutex_);
    if (count_ >= max_lingering || !start_locked()) {
        return;
    }
    const auto slot = static_cast<std::size_t>(fd);
    if (slot >= by_fd_.size()) {
        by_fd_.resize(slot + 1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        return;
    }
    by_fd_[slot] = {std::move(conn), clock::now() + at_most.max_time, budget};
    ++count_;
}

bool lingering_closer::start_locked() noexcept {
    // No epoll set (descriptors ran out at construction): no thread either.
    return epoll_fd_ && start_once(thread_, [this] { run(); });
}

void lingering_closer::run() noexcept {
    epoll_event events[64];
    while (!stopping_) {
        const int n = epoll_wait(epoll_fd_.get(), events, 64, sweep_ms);
        const std::lock_guard lock(mutex_);
        for (int i = 0; i < n; ++i) {
            drop_input(events[i].data.fd);
        }
        sweep(clock::now());
    }
}

void lingering_closer::drop_input(int fd) noexcept {
    lingering& l = by_fd_[static_cast<std::size_t>(fd)];
    if (l.fd && drop_pending_input(fd, l.bytes_left)) {
        l.fd.reset();  // closing also takes it out of the epoll set
        --count_;
    }
}

void lingering_closer::sweep(clock::time_point now) noexcept {
    for (lingering& l : by_fd_) {
        if (l.fd && now >= l.until) {
            l.fd.reset();
            --count_;
        }
    }
}

}  // namespace gantry::server
