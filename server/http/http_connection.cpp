#include "server/http/http_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "protocol/errc.hpp"
#include "protocol/http_response.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"
#include "server/net/socket_options.hpp"
#include "server/net/socket_stream.hpp"

namespace gantry::server {
namespace {

constexpr std::size_t body_room = 16 * 1024;
// Left-over body worth reading past to keep the connection; beyond it, closing is cheaper.
constexpr std::uint64_t max_skipped_body = 64 * 1024;

std::error_code receive_error(long n) {
    if (n == 0) {
        return std::make_error_code(std::errc::connection_reset);
    }
    return errno == EAGAIN ? std::make_error_code(std::errc::timed_out)
                           : std::error_code(errno, std::generic_category());
}

void write_all(int fd, std::string_view text, std::error_code& ec) {
    socket_stream out(fd, {});
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(text))};
    out.write(parts, ec);
}

// wsgi.input of an HTTP request: the de-framed body, read through the connection's buffer.
// "100 Continue" goes out when the app first asks for the body, as RFC 9110 intends.
class http_body_source final : public embed::byte_source {
public:
    http_body_source(http_connection& conn, bool continue_wanted)
        : conn_(conn), continue_pending_(continue_wanted) {}

    bool continue_pending() const noexcept { return continue_pending_; }

    std::size_t read_some(std::span<std::byte> into, std::error_code& ec) override {
        if (continue_pending_) {
            continue_pending_ = false;
            write_all(conn_.fd(), protocol::http_continue_response, ec);
            if (ec) {
                return 0;
            }
        }
        protocol::http_request_parser& parser = conn_.parser();
        while (!parser.body_done()) {
            const protocol::http_body_piece piece =
                parser.feed_body(conn_.unparsed(), ec, into.size());
            if (ec) {
                return 0;
            }
            const std::size_t n = piece.data.size();
            if (n > 0) {  // a step that only consumed framing has no data, and maybe no pointer
                std::memcpy(into.data(), piece.data.data(), n);
            }
            conn_.consume(piece.consumed);
            if (n > 0) {
                return n;
            }
            if (piece.consumed == 0 && !parser.body_done()) {
                const long got = conn_.receive();
                if (got <= 0) {
                    ec = receive_error(got);  // the client broke off inside the body
                    return 0;
                }
            }
        }
        return 0;
    }

private:
    http_connection& conn_;
    bool continue_pending_;
};

}  // namespace

http_connection::http_connection(unique_fd conn, const peer_address& peer,
                                 const http_settings& settings)
    : fd_(std::move(conn)),
      peer_(peer),
      peer_text_(peer.text()),
      settings_(settings),
      parser_(protocol::http_limits{
          .max_head = settings.max_head,
          .max_body = settings.limit_post ? std::optional(settings.limit_post) : std::nullopt}),
      buffer_(settings.max_head + body_room) {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        const peer_address me = peer_address_of(local);
        local_host_ = me.host;
        local_port_ = me.port;
    }
}

long http_connection::receive(bool wait) {
    if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    for (;;) {
        const ssize_t n =
            recv(fd_.get(), buffer_.data() + end_, buffer_.size() - end_, wait ? 0 : MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n > 0) {
            end_ += static_cast<std::size_t>(n);
        }
        return n;
    }
}

http_connection::next http_connection::serve_one(embed::wsgi_app& app, request_tracker& tracker,
                                                 bool last) {
    const auto start = std::chrono::steady_clock::now();
    switch (read_head()) {
        case head_state::failed:
            return next::close;
        case head_state::incomplete:
            return next::wait_for_request;  // the rest waits in the buffer, not in a thread
        case head_state::complete:
            break;
    }
    add_socket_vars();
    http_body_source body(*this, parser_.expects_continue() && !parser_.body_done());
    socket_stream out(fd_.get(), {});
    const auto& head = parser_.head();
    const embed::response_framing framing{.delimit = true,
                                          .keep_alive = parser_.keep_alive() && !last,
                                          .chunked_ok = head.find("SERVER_PROTOCOL") == "HTTP/1.1"};
    tracker.begin(head);
    const embed::call_result r = app.handle(head, body, out, framing);
    tracker.end();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    log_request(settings_.worker_id, head, r, took.count());
    // A client still waiting for "100 Continue" may or may not send its body now: the
    // connection cannot be trusted to start at a request line any more.
    if (!r.keep_alive || body.continue_pending() || !skip_rest_of_body()) {
        return next::close;
    }
    parser_.reset();
    return unparsed().empty() ? next::wait_for_request : next::serve_again;
}

http_connection::head_state http_connection::read_head() {
    for (;;) {
        std::error_code ec;
        consume(parser_.feed(unparsed(), ec));
        if (ec) {
            answer_error(ec);
            return head_state::failed;
        }
        if (parser_.done()) {
            return head_state::complete;
        }
        if (end_ == buffer_.size() && begin_ == 0) {
            answer_error(protocol::errc::http_header_too_large);
            return head_state::failed;
        }
        // A client that sends its head in pieces (or a slow loris) must not hold a request
        // thread: what is not there yet is waited for by the poller.
        const long got = receive(false);
        if (got < 0 && errno == EAGAIN) {
            return head_state::incomplete;
        }
        if (got <= 0) {
            // Between requests, a close is how keep-alive ends; mid-head it is worth a note.
            const std::error_code why = got == 0 ? parser_.finish() : receive_error(got);
            if (why) {
                log::debug("worker {}: {}: {} while reading a request", settings_.worker_id,
                           peer_text_, why.message());
            }
            return head_state::failed;
        }
    }
}

void http_connection::add_socket_vars() {
    parser_.add_var("REMOTE_ADDR", peer_.host);
    parser_.add_var("REMOTE_PORT", peer_.port);
    const auto& head = parser_.head();
    if (!head.find("SERVER_NAME")) {
        parser_.add_var("SERVER_NAME", local_host_);
    }
    if (!head.find("SERVER_PORT")) {
        parser_.add_var("SERVER_PORT", local_port_);
    }
}

bool http_connection::skip_rest_of_body() {
    std::uint64_t skipped = 0;
    while (!parser_.body_done()) {
        std::error_code ec;
        const protocol::http_body_piece piece = parser_.feed_body(unparsed(), ec);
        consume(piece.consumed);
        skipped += piece.data.size();
        if (ec || skipped > max_skipped_body) {
            return false;
        }
        if (piece.consumed == 0 && !parser_.body_done() && receive() <= 0) {
            return false;
        }
    }
    return true;
}

void http_connection::answer_error(const std::error_code& ec) {
    const int status = protocol::http_status_for(ec);
    log::warning("worker {}: {}: {}; answered {} and closed", settings_.worker_id, peer_text_,
                 ec.message(), status);
    std::error_code write_ec;
    write_all(fd_.get(), protocol::http_error_response(status), write_ec);
    drain_before_close(fd_.get(), max_skipped_body, 1);
}

}  // namespace gantry::server
