#include "server/worker/worker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "embed/interpreter.hpp"
#include "server/log/log.hpp"
#include "server/net/socket_options.hpp"
#include "server/worker/connection_handler.hpp"

namespace gantry::server {
namespace {

std::string peer_name(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
        inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
    }
    if (addr.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
        inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6.sin6_port));
    }
    return "unix socket";
}

// Errors after which accepting again is the right move: the client gave up, or the process
// is short of descriptors for a moment.
bool transient(int err) {
    return err == EINTR || err == ECONNABORTED || err == EAGAIN || err == EPROTO || err == EMFILE ||
           err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// With one listener a blocking accept() is all it takes. With several, poll() says which
// one is ready; they are non-blocking so that a connection another worker took first costs
// an EAGAIN instead of a hang.
class acceptor {
public:
    explicit acceptor(std::span<const listener> listeners) : listeners_(listeners) {
        for (const listener& l : listeners) {
            if (listeners.size() > 1) {
                fcntl(l.fd(), F_SETFL, fcntl(l.fd(), F_GETFL) | O_NONBLOCK);
            }
            fds_.push_back({.fd = l.fd(), .events = POLLIN, .revents = 0});
        }
    }

    // The next connection and the listener it came from; -1 on an error that is not transient.
    int next(sockaddr_storage& peer, const listener*& from) {
        for (;;) {
            std::size_t ready = 0;
            if (fds_.size() > 1) {
                if (poll(fds_.data(), fds_.size(), -1) < 0) {
                    if (errno == EINTR) {
                        continue;
                    }
                    return -1;
                }
                while (fds_[ready].revents == 0) {
                    ++ready;
                }
            }
            socklen_t len = sizeof peer;
            const int fd =
                accept4(fds_[ready].fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
            if (fd >= 0) {
                from = &listeners_[ready];
                return fd;
            }
            if (!transient(errno)) {
                return -1;
            }
            if (errno == EMFILE || errno == ENFILE) {
                log::warning("accept: {}; retrying", std::strerror(errno));
                poll(nullptr, 0, 100);  // let descriptors free up instead of spinning
            }
        }
    }

private:
    std::span<const listener> listeners_;
    std::vector<pollfd> fds_;
};

// One request thread's loop; returns only when accepting fails for good.
void serve(const worker_settings& settings, std::span<const listener> listeners,
           embed::wsgi_app& app) {
    acceptor accept(listeners);
    connection_handler handler(settings.id, settings.buffer_size, settings.limit_post, app);
    for (;;) {
        sockaddr_storage peer{};
        const listener* from = nullptr;
        const int fd = accept.next(peer, from);
        if (fd < 0) {
            log::error("worker {}: cannot accept: {}", settings.id, std::strerror(errno));
            return;
        }
        if (!from->passes_timeouts()) {
            set_io_timeout(fd, settings.socket_timeout);
        }
        handler.serve(fd, peer_name(peer));
        close(fd);
    }
}

}  // namespace

int run_worker(const worker_settings& settings, std::span<const listener> listeners,
               embed::wsgi_app& app) {
    for (int i = 1; i < settings.threads; ++i) {
        // Threads are never joined: the worker ends as a process, by signal or _Exit.
        std::thread([&settings, listeners, &app] {
            const embed::python_thread attached;
            serve(settings, listeners, app);
            std::_Exit(1);  // a thread that cannot accept means the listeners are gone
        }).detach();
    }
    serve(settings, listeners, app);
    return 1;
}

}  // namespace gantry::server
