#include "server/worker/acceptor.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "server/log/log.hpp"
#include "server/worker/worker_control.hpp"

namespace gantry::server {
namespace {

// Errors after which accepting again is the right move: the client gave up, a signal came,
// or the process is short of descriptors for a moment.
bool transient(int err) {
    return err == EINTR || err == ECONNABORTED || err == EAGAIN || err == EPROTO || err == EMFILE ||
           err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

acceptor::acceptor(std::span<const listener> listeners) : listeners_(listeners) {
    for (const listener& l : listeners) {
        if (listeners.size() > 1) {
            fcntl(l.fd(), F_SETFL, fcntl(l.fd(), F_GETFL) | O_NONBLOCK);
        }
        fds_.push_back({.fd = l.fd(), .events = POLLIN, .revents = 0});
    }
}

unique_fd acceptor::next(sockaddr_storage& peer, const listener*& from) {
    for (;;) {
        if (worker_control::stopping()) {
            errno = EINTR;
            return {};
        }
        std::size_t ready = 0;
        if (fds_.size() > 1) {
            if (poll(fds_.data(), fds_.size(), -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return {};
            }
            while (fds_[ready].revents == 0) {
                ++ready;
            }
        }
        socklen_t len = sizeof peer;
        unique_fd conn(
            accept4(fds_[ready].fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
        if (conn) {
            from = &listeners_[ready];
            return conn;
        }
        if (!transient(errno)) {
            return {};
        }
        if (errno == EMFILE || errno == ENFILE) {
            const int err = errno;
            if (std::uint64_t times = 0; out_of_fds_.due(log::throttle::clock::now(), times)) {
                log::warning(
                    "accept: {} ({}x in the last second); retrying every 100 ms: raise "
                    "the descriptor limit (ulimit -n, LimitNOFILE=)",
                    std::strerror(err), times);
            }
            poll(nullptr, 0, 100);  // let descriptors free up instead of spinning
        }
    }
}

}  // namespace gantry::server
