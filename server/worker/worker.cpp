#include "server/worker/worker.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "embed/interpreter.hpp"
#include "server/http/http_front.hpp"
#include "server/log/log.hpp"
#include "server/net/peer_address.hpp"
#include "server/net/socket_options.hpp"
#include "server/worker/connection_handler.hpp"

namespace gantry::server {
namespace {

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
    connection_handler handler(settings, app);
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
        handler.serve(fd, peer_address_of(peer).text());
        close(fd);
    }
}

// With HTTP listeners, the I/O thread accepts and request threads take work from its queue.
void serve_queue(const worker_settings& settings, work_queue& queue, http_front& front,
                 embed::wsgi_app& app) {
    connection_handler uwsgi(settings, app);
    for (;;) {
        work_item item = queue.pop();
        if (!item.http) {
            uwsgi.serve(item.uwsgi_fd, item.peer);
            close(item.uwsgi_fd);
            continue;
        }
        switch (item.http->serve_one(app)) {
            case http_connection::next::close:
                break;
            case http_connection::next::wait_for_request:
                front.park(std::move(item.http));
                break;
            case http_connection::next::serve_again:
                queue.push(std::move(item));  // pipelined: its next request is already here
                break;
        }
    }
}

// Runs `loop` on `threads` threads: this one and threads-1 more, each attached to Python.
template <typename Loop>
[[noreturn]] void run_threads(int threads, Loop loop) {
    for (int i = 1; i < threads; ++i) {
        // Never joined: the worker ends as a process, by signal or _Exit.
        std::thread([loop] {
            const embed::python_thread attached;
            loop();
            std::_Exit(1);  // a loop only returns when it cannot go on
        }).detach();
    }
    loop();
    std::_Exit(1);
}

}  // namespace

[[noreturn]] void run_worker(const worker_settings& settings, std::span<const listener> listeners,
               embed::wsgi_app& app) {
    const bool any_http = std::any_of(listeners.begin(), listeners.end(), [](const listener& l) {
        return l.speaks() == listener::protocol::http;
    });
    if (!any_http) {
        run_threads(settings.threads, [&] { serve(settings, listeners, app); });
    }
    work_queue queue;
    http_front front(listeners, queue,
                     {.worker_id = settings.id, .limit_post = settings.limit_post},
                     settings.http_keepalive_timeout);
    front.start();
    run_threads(settings.threads, [&] { serve_queue(settings, queue, front, app); });
}

}  // namespace gantry::server
