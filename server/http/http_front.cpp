#include "server/http/http_front.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>
#include <thread>

#include "server/log/log.hpp"

namespace gantry::server {
namespace asio = boost::asio;

namespace {

// An idle connection, waiting for its next request or for the keep-alive timeout.
struct parked {
    parked(asio::io_context& io, std::unique_ptr<http_connection> c)
        : connection(std::move(c)), readable(io, connection->fd()), timeout(io) {}
    ~parked() { readable.release(); }  // the connection owns and closes its descriptor

    std::unique_ptr<http_connection> connection;
    asio::posix::stream_descriptor readable;
    asio::steady_timer timeout;
};

}  // namespace

struct http_front::impl {
    impl(std::span<const listener> listeners, work_queue& q, const http_settings& s, int keepalive)
        : queue(q), settings(s), keepalive_timeout(keepalive) {
        for (const listener& l : listeners) {
            // Non-blocking, so that a connection another worker took first costs an EAGAIN.
            fcntl(l.fd(), F_SETFL, fcntl(l.fd(), F_GETFL) | O_NONBLOCK);
            acceptors.emplace_back(io, l.fd());
            watch(acceptors.back(), l.speaks());
        }
    }

    ~impl() {
        for (auto& a : acceptors) {
            a.release();  // the listeners belong to the master's objects
        }
    }

    // One accept per wake-up: every idle worker is woken, and each takes one connection,
    // which spreads a burst of clients across the workers instead of onto the first.
    void watch(asio::posix::stream_descriptor& acceptor, listener::protocol speaks) {
        acceptor.async_wait(asio::posix::stream_descriptor::wait_read,
                            [this, &acceptor, speaks](const boost::system::error_code& ec) {
                                if (ec) {
                                    return;
                                }
                                accept_one(acceptor.native_handle(), speaks);
                                watch(acceptor, speaks);
                            });
    }

    void accept_one(int listen_fd, listener::protocol speaks) {
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR) {
                log::warning("worker {}: accept: {}", settings.worker_id, std::strerror(errno));
            }
            return;
        }
        if (speaks == listener::protocol::uwsgi) {
            queue.push({.http = nullptr, .uwsgi_fd = fd, .peer = peer});
            return;
        }
        const peer_address who = peer_address_of(peer);
        // Responses go out in one or two writes: Nagle would only add delay.
        const int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        wait_for_request(std::make_unique<http_connection>(fd, who, settings));
    }

    void wait_for_request(std::unique_ptr<http_connection> connection) {
        auto p = std::make_shared<parked>(io, std::move(connection));
        p->timeout.expires_after(std::chrono::seconds(keepalive_timeout));
        p->timeout.async_wait([p](const boost::system::error_code& ec) {
            if (!ec && p->connection) {
                p->readable.cancel();
                p->connection.reset();  // idle too long: close
            }
        });
        p->readable.async_wait(
            asio::posix::stream_descriptor::wait_read,
            [this, p](const boost::system::error_code& ec) {
                if (!ec && p->connection) {
                    p->timeout.cancel();
                    // Asio made it non-blocking for the wait; request
                    // threads read and write with --socket-timeout.
                    const int fd = p->connection->fd();
                    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
                    queue.push({.http = std::move(p->connection), .uwsgi_fd = -1, .peer = {}});
                }
            });
    }

    asio::io_context io;
    work_queue& queue;
    http_settings settings;
    int keepalive_timeout;
    std::list<asio::posix::stream_descriptor> acceptors;
    std::thread thread;
    bool stopped = false;  // only touched on the I/O thread
};

http_front::http_front(std::span<const listener> listeners, work_queue& queue,
                       const http_settings& settings, int keepalive_timeout)
    : impl_(std::make_unique<impl>(listeners, queue, settings, keepalive_timeout)) {}

http_front::~http_front() = default;

void http_front::start() {
    impl_->thread = std::thread([this] {
        impl_->io.run();
        if (!impl_->stopped) {
            log::error("worker {}: the HTTP I/O loop stopped", impl_->settings.worker_id);
            std::_Exit(1);
        }
    });
    impl_->thread.detach();  // it ends with the process
}

void http_front::stop() {
    asio::post(impl_->io, [this] {
        impl_->stopped = true;
        impl_->io.stop();
    });
}

void http_front::park(std::unique_ptr<http_connection> connection) {
    // Handlers are copied in Asio 1.74, so the connection travels as a raw pointer.
    http_connection* raw = connection.release();
    asio::post(impl_->io,
               [this, raw] { impl_->wait_for_request(std::unique_ptr<http_connection>(raw)); });
}

}  // namespace gantry::server
