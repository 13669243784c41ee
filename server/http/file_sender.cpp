#include "server/http/file_sender.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "server/http/http_connection.hpp"
#include "server/log/log.hpp"
#include "server/util/lazy_thread.hpp"

namespace gantry::server {
namespace {

// Deadlines are checked at this pace.
constexpr int sweep_ms = 250;
// sendfile() moves at most this much per call: a fast client cannot keep the thread in one
// call while others wait.
constexpr std::size_t chunk = 1024 * 1024;

}  // namespace

bool send_now(int fd, file_transfer& t, int& err) noexcept {
    err = 0;
    while (t.head_sent < t.head.size()) {
        const ssize_t n = send(fd, t.head.data() + t.head_sent, t.head.size() - t.head_sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT | (t.left > 0 ? MSG_MORE : 0));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        t.head_sent += static_cast<std::size_t>(n);
    }
    while (t.left > 0) {
        auto offset = static_cast<off_t>(t.offset);
        const ssize_t n =
            sendfile(fd, t.file.get(), &offset, std::min<std::uint64_t>(t.left, chunk));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        if (n == 0) {
            return false;  // the file is shorter than it was: the response cannot be completed
        }
        t.offset += static_cast<std::uint64_t>(n);
        t.left -= static_cast<std::uint64_t>(n);
    }
    return true;
}

int file_sender::sending::fd() const noexcept {
    return http ? http->fd() : uwsgi.get();
}

file_sender::file_sender(lingering_closer& closer, const io_timeouts& timeouts, int worker_id)
    : closer_(closer),
      timeouts_(timeouts),
      worker_id_(worker_id),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {}

file_sender::~file_sender() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void file_sender::send(std::unique_ptr<http_connection> http, file_transfer t,
                       bool keep_alive) noexcept {
    sending s;
    s.http = std::move(http);
    s.transfer = std::move(t);
    s.keep_alive = keep_alive;
    add(std::move(s));
}

void file_sender::send(unique_fd uwsgi, file_transfer t) noexcept {
    sending s;
    s.uwsgi = std::move(uwsgi);
    s.transfer = std::move(t);
    add(std::move(s));
}

void file_sender::add(sending s) noexcept {
    const int fd = s.fd();
    const auto now = clock::now();
    s.until = now + timeouts_.send;
    s.stalled_at = now + timeouts_.stall;
    {
        const std::lock_guard lock(mutex_);
        if (count_ < max_sending && start_locked()) {
            try {
                const auto slot = static_cast<std::size_t>(fd);
                if (slot >= by_fd_.size()) {
                    by_fd_.resize(slot + 1);
                }
                // Writability only: a client that shut its sending side down (EPOLLRDHUP) may
                // still be reading, and level-triggered that event would spin this thread.
                // A reset or a full close comes as EPOLLERR/EPOLLHUP, and the send fails.
                epoll_event ev{};
                ev.events = EPOLLOUT;
                ev.data.fd = fd;
                if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) == 0) {
                    by_fd_[slot] = std::make_unique<sending>(std::move(s));
                    ++count_;
                    return;
                }
            } catch (...) {
                // out of memory: cut below, as when full
            }
        }
    }
    if (count_ >= max_sending) {
        log::warning(
            "worker {}: {} static responses are being sent already; this one is cut (raise "
            "--processes, or let a CDN or nginx serve the large files)",
            worker_id_, max_sending);
    } else {
        log::warning("worker {}: a static response is cut: its sender cannot watch it ({})",
                     worker_id_, std::strerror(errno));
    }
    finish(std::move(s), false);
}

bool file_sender::start_locked() noexcept {
    // No epoll set (descriptors ran out at construction): no thread either.
    return epoll_fd_ && start_once(thread_, [this] { run(); });
}

void file_sender::run() noexcept {
    epoll_event events[64];
    while (!stopping_) {
        const int n = epoll_wait(epoll_fd_.get(), events, 64, sweep_ms);
        const auto now = clock::now();
        for (int i = 0; i < n; ++i) {
            progress(events[i].data.fd, now);
        }
        sweep(now);
    }
}

// Sends what the socket takes; the finished and the failed are taken out under the lock
// and given back or closed after it (giving back takes the poller's lock).
void file_sender::progress(int fd, clock::time_point now) noexcept {
    std::unique_ptr<sending> done;
    bool complete = false;
    {
        const std::lock_guard lock(mutex_);
        std::unique_ptr<sending>& s = by_fd_[static_cast<std::size_t>(fd)];
        if (!s) {
            return;
        }
        const std::uint64_t before =
            s->transfer.left + (s->transfer.head.size() - s->transfer.head_sent);
        int err = 0;
        const bool ok = send_now(fd, s->transfer, err);
        const std::uint64_t after =
            s->transfer.left + (s->transfer.head.size() - s->transfer.head_sent);
        if (after < before) {
            s->stalled_at = now + timeouts_.stall;
        }
        if (ok && !s->transfer.done()) {
            return;
        }
        complete = ok;
        if (!ok) {
            log::debug("worker {}: static response cut with {} bytes unsent: {}", worker_id_, after,
                       err != 0 ? std::strerror(err) : "the file got shorter");
        }
        epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
        done = std::move(s);
        --count_;
    }
    finish(std::move(*done), complete);
}

void file_sender::finish(sending s, bool complete) noexcept {
    if (s.http) {
        if (complete && s.keep_alive && back_) {
            const int fd = s.http->fd();
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            back_(std::move(s.http));
        }
        return;  // else closed as it goes
    }
    if (complete) {
        closer_.linger(std::move(s.uwsgi), {});
    }
}

void file_sender::sweep(clock::time_point now) noexcept {
    std::vector<std::unique_ptr<sending>> expired;
    {
        const std::lock_guard lock(mutex_);
        for (auto& s : by_fd_) {
            if (s && (now >= s->until || now >= s->stalled_at)) {
                if (now >= s->until) {
                    log::warning(
                        "worker {}: static response cut: not taken within "
                        "--send-timeout ({} s)",
                        worker_id_, timeouts_.send.count());
                } else {
                    log::warning(
                        "worker {}: static response cut: nothing moved for "
                        "--socket-timeout ({} s)",
                        worker_id_, timeouts_.stall.count());
                }
                epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, s->fd(), nullptr);
                try {
                    expired.push_back(std::move(s));
                } catch (...) {
                    s.reset();
                }
                --count_;
            }
        }
    }
    // Dropped here: closing a connection mid-response (a reset is what the client gets).
}

}  // namespace gantry::server
