#include "server/observe/observe_server.hpp"

#include <sys/socket.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "server/log/log.hpp"
#include "server/log/log_throttle.hpp"

namespace gantry::server {
namespace {

using protocol = boost::asio::generic::stream_protocol;
using namespace std::chrono_literals;

// A looker gets this long to send its request and read the answer: a stalled one costs a
// descriptor for that long, never the master's loop.
constexpr auto connection_deadline = 5s;
// More connections at once are closed as they come: a scraper storm cannot eat descriptors.
constexpr int max_connections = 16;
// A request head above this is refused (431): the paths served are short.
constexpr std::size_t max_head = 8192;

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 400:
            return "Bad Request";
        case 431:
            return "Request Header Fields Too Large";
        default:
            return "Service Unavailable";
    }
}

std::string http_response(const observe_reply& r, bool head_only) {
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n"
        "Cache-Control: no-store\r\n\r\n",
        r.status, reason(r.status), r.content_type, r.body.size());
    if (!head_only) {
        out += r.body;
    }
    return out;
}

}  // namespace

struct observe_server::impl : std::enable_shared_from_this<impl> {
    impl(boost::asio::io_context& io, int fd, std::string n, mode m, answer a)
        : io(io), acceptor(io), name(std::move(n)), how(m), respond(std::move(a)) {
        int family = AF_INET;
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
            family = addr.ss_family;
        }
        acceptor.assign(protocol(family, SOCK_STREAM), fd);
        acceptor.non_blocking(true);
    }

    struct connection {
        explicit connection(boost::asio::io_context& io) : socket(io), deadline(io) {}
        protocol::socket socket;
        boost::asio::steady_timer deadline;
        std::string in;
        std::string out;
    };

    void accept() {
        acceptor.async_accept(
            [self = shared_from_this()](const boost::system::error_code& ec, protocol::socket s) {
                if (ec == boost::asio::error::operation_aborted || !self->acceptor.is_open()) {
                    return;
                }
                if (!ec) {
                    self->serve(std::move(s));
                }
                self->accept();
            });
    }

    void serve(protocol::socket s) {
        if (open_connections >= max_connections) {
            std::uint64_t times = 0;
            if (throttle.due(std::chrono::steady_clock::now(), times)) {
                log::warning("{}: over {} connections at once; closed the newest ({} time(s))",
                             name, max_connections, times);
            }
            return;  // closed as `s` goes
        }
        ++open_connections;
        auto c = std::make_shared<connection>(io);
        c->socket = std::move(s);
        c->deadline.expires_after(connection_deadline);
        c->deadline.async_wait([c](const boost::system::error_code& ec) {
            if (!ec) {
                boost::system::error_code ignored;
                c->socket.close(ignored);
            }
        });
        if (how == mode::raw) {
            c->out = respond("", "").body;
            send(c);
        } else {
            read_head(c);
        }
    }

    void read_head(const std::shared_ptr<connection>& c) {
        c->in.resize(c->in.size() + 1024);
        const std::size_t have = c->in.size() - 1024;
        c->socket.async_read_some(boost::asio::buffer(c->in.data() + have, 1024),
                                  [self = shared_from_this(), c, have](
                                      const boost::system::error_code& ec, std::size_t n) {
                                      c->in.resize(have + n);
                                      if (ec) {
                                          self->finish(c);
                                          return;
                                      }
                                      self->on_bytes(c);
                                  });
    }

    void on_bytes(const std::shared_ptr<connection>& c) {
        const auto end = c->in.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (c->in.size() > max_head) {
                c->out = http_response({.status = 431,
                                        .content_type = "text/plain",
                                        .body = "request head too large\n"},
                                       false);
                send(c);
                return;
            }
            read_head(c);
            return;
        }
        // "GET /metrics HTTP/1.1": the method, the target without its query.
        const std::string_view line(c->in.data(), c->in.find("\r\n"));
        const auto sp1 = line.find(' ');
        const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
        if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
            c->out = http_response(
                {.status = 400, .content_type = "text/plain", .body = "bad request line\n"}, false);
            send(c);
            return;
        }
        const std::string_view method = line.substr(0, sp1);
        std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
        path = path.substr(0, path.find('?'));
        if (method != "GET" && method != "HEAD") {
            c->out = http_response({.status = 405,
                                    .content_type = "text/plain",
                                    .body = "only GET and HEAD are served here\n"},
                                   false);
        } else {
            c->out = http_response(respond(method, path), method == "HEAD");
        }
        send(c);
    }

    void send(const std::shared_ptr<connection>& c) {
        boost::asio::async_write(
            c->socket, boost::asio::buffer(c->out),
            [self = shared_from_this(), c](const boost::system::error_code&, std::size_t) {
                boost::system::error_code ignored;
                // The client's unread request bytes must not turn the close into a reset
                // that could destroy the answer in flight: shut down writing first.
                c->socket.shutdown(protocol::socket::shutdown_send, ignored);
                self->finish(c);
            });
    }

    void finish(const std::shared_ptr<connection>& c) {
        boost::system::error_code ignored;
        c->deadline.cancel();
        c->socket.close(ignored);
        --open_connections;
    }

    boost::asio::io_context& io;
    boost::asio::basic_socket_acceptor<protocol> acceptor;
    std::string name;
    mode how;
    answer respond;
    int open_connections = 0;
    log::throttle throttle{std::chrono::seconds(10)};
};

observe_server::observe_server(boost::asio::io_context& io, int listening_fd, std::string name,
                               mode m, answer a)
    : impl_(std::make_shared<impl>(io, listening_fd, std::move(name), m, std::move(a))) {}

observe_server::~observe_server() {
    // The descriptor is the caller's: handed over across a reload's exec, not closed here.
    boost::system::error_code ignored;
    impl_->acceptor.cancel(ignored);
    static_cast<void>(impl_->acceptor.release(ignored));
}

void observe_server::start() {
    impl_->accept();
}

}  // namespace gantry::server
