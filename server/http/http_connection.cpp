#include "server/http/http_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "protocol/errc.hpp"
#include "protocol/forwarded.hpp"
#include "protocol/http_response.hpp"
#include "server/http/static_responder.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"
#include "server/net/socket_stream.hpp"
#include "server/net/trusted_proxies.hpp"

namespace gantry::server {
namespace {

// Room for the body after the head; a body up to this size is received whole before its
// request is handed to a request thread.
constexpr std::size_t body_room = 16 * 1024;
// Left-over body worth dropping to keep the connection, when it is already here; beyond it,
// closing is cheaper.
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

// wsgi.input of an HTTP request: the de-framed body, read through the connection's buffer,
// within --socket-timeout per stall and --body-timeout in all. "100 Continue" goes out when
// the app first asks for the body, as RFC 9110 intends, and never once the response has begun
// (the client would take it for the response): the body is then read if it comes anyway,
// and the connection is closed after the response.
class http_body_source final : public embed::byte_source {
public:
    http_body_source(http_connection& conn, const socket_stream& out, bool continue_wanted,
                     const io_timeouts& timeouts)
        : conn_(conn),
          out_(out),
          continue_pending_(continue_wanted),
          budget_(timeouts.body, timeouts.stall) {}

    bool continue_pending() const noexcept { return continue_pending_; }
    // Why reading the body failed, if it did (a framing error, a stall, a deadline).
    const std::error_code& failure() const noexcept { return failure_; }

    std::size_t read_some(std::span<std::byte> into, std::error_code& ec) override {
        if (continue_pending_ && out_.bytes_sent() == 0) {
            continue_pending_ = false;
            write_all(conn_.fd(), protocol::http_continue_response, ec);
            if (ec) {
                return 0;
            }
        }
        const std::size_t n = read_body(into, ec);
        if (ec) {
            failure_ = ec;
        }
        return n;
    }

private:
    std::size_t read_body(std::span<std::byte> into, std::error_code& ec) {
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
                const long got = conn_.receive(budget_);
                if (got <= 0) {
                    ec = receive_error(got);  // the client broke off or stalled inside the body
                    return 0;
                }
            }
        }
        return 0;
    }

    http_connection& conn_;
    const socket_stream& out_;
    bool continue_pending_;
    io_budget budget_;
    std::error_code failure_;
};

}  // namespace

http_connection::http_connection(unique_fd conn, const peer_address& peer,
                                 const http_settings& settings)
    : fd_(std::move(conn)), peer_(peer), peer_text_(peer.text()), settings_(settings) {
    if (settings_.open_count != nullptr) {
        settings_.open_count->fetch_add(1, std::memory_order_relaxed);
    }
    trusted_proxy_ = settings_.forwarded != nullptr && settings_.forwarded->trusts(peer_);
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        const peer_address me = peer_address_of(local);
        local_host_ = me.host;
        local_port_ = me.port;
    }
}

std::unique_ptr<request_buffers> make_request_buffers(const http_settings& settings) {
    return std::make_unique<request_buffers>(
        protocol::http_limits{
            .max_head = settings.max_head,
            .max_body = settings.limit_post ? std::optional(settings.limit_post) : std::nullopt},
        settings.max_head + body_room);
}

http_connection::~http_connection() {
    if (rx_ && settings_.buffers != nullptr) {
        // Closed in the middle of anything: the next taker must find them new. Should the
        // reset fail, they are freed instead.
        try {
            rx_->reset();
            settings_.buffers->give_back(std::move(rx_));
        } catch (...) {
        }
    }
    if (settings_.open_count != nullptr) {
        settings_.open_count->fetch_sub(1, std::memory_order_relaxed);
    }
}

http_connection::clock::time_point http_connection::parked_until(
    clock::time_point now, clock::duration keepalive) const noexcept {
    if (head_started_ != clock::time_point{}) {
        return head_started_ + settings_.timeouts.header;
    }
    if (body_awaited_ != clock::time_point{}) {
        return std::min(body_awaited_ + settings_.timeouts.body,
                        body_moved_ + settings_.timeouts.stall);
    }
    return now + keepalive;
}

void http_connection::expire(clock::time_point now) noexcept {
    if (head_started_ != clock::time_point{}) {
        refuse(408, "request head timed out: not complete within --http-header-timeout");
    } else if (body_awaited_ != clock::time_point{}) {
        refuse(408, now - body_awaited_ >= settings_.timeouts.body
                        ? "request body timed out: not complete within --body-timeout"
                        : "request body timed out: nothing came for --socket-timeout");
    }
}

// Only what serve_one() sets up between requests tells an idle connection: no head begun,
// no body awaited, no byte of the next request received (nor a file still being sent, as
// the caller parks a connection only after that).
void http_connection::release_buffers_if_idle() noexcept {
    // Not done(): the parser was reset after the request, so no var views this connection's
    // strings (see add_socket_vars) when another connection takes it.
    if (rx_ && settings_.buffers != nullptr && head_started_ == clock::time_point{} &&
        body_awaited_ == clock::time_point{} && rx_->unparsed().empty() && !parser().done()) {
        settings_.buffers->give_back(std::move(rx_));
    }
}

long http_connection::received(long n) noexcept {
    if (n > 0) {
        rx_->filled(static_cast<std::size_t>(n));
    }
    return n;
}

long http_connection::receive(io_budget& budget) {
    const std::span<std::byte> room = rx_->room();
    for (;;) {
        const ssize_t n = budget.run(fd_.get(), POLLIN, [this, room] {
            return recv(fd_.get(), room.data(), room.size(), 0);
        });
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return received(n);
    }
}

long http_connection::receive_now() {
    const std::span<std::byte> room = rx_->room();
    for (;;) {
        const ssize_t n = recv(fd_.get(), room.data(), room.size(), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return received(n);
    }
}

http_connection::next http_connection::serve_one(embed::wsgi_app& app, request_tracker& tracker,
                                                 bool last) {
    if (!rx_) {
        // A connection parked idle has none: taking them is the one allocation left between
        // requests, and its failure is this connection's, not the worker's.
        try {
            rx_ = settings_.buffers != nullptr ? settings_.buffers->take()
                                               : make_request_buffers(settings_);
        } catch (const std::bad_alloc&) {
            log::warning("worker {}: {}: no memory for a request's buffers; connection closed",
                         settings_.worker_id, peer_text_);
            return next::close;
        }
    }
    const auto start = clock::now();
    if (head_started_ == clock::time_point{} && !parser().done()) {
        head_started_ = start;
    }
    switch (read_head(start)) {
        case head_state::failed:
            return next::close;
        case head_state::incomplete:
            return next::wait_for_request;  // the rest waits in the buffer, not in a thread
        case head_state::complete:
            head_started_ = {};
            break;
    }
    if (settings_.statics != nullptr) {
        if (const std::optional<next> answered = serve_static(tracker, last)) {
            return *answered;
        }
    }
    switch (await_body(start)) {
        case head_state::failed:
            return next::close;
        case head_state::incomplete:
            return next::wait_for_request;
        case head_state::complete:
            body_awaited_ = {};
            break;
    }
    add_socket_vars();
    socket_stream out(fd_.get(), {}, settings_.timeouts);
    http_body_source body(*this, out, parser().expects_continue() && !parser().body_done(),
                          settings_.timeouts);
    const auto& head = parser().head();
    const embed::response_framing framing{.delimit = true,
                                          .keep_alive = parser().keep_alive() && !last,
                                          .chunked_ok = head.find("SERVER_PROTOCOL") == "HTTP/1.1"};
    tracker.begin(head);
    const embed::call_result r = app.handle(head, body, out, framing);
    tracker.end(r);
    const std::chrono::duration<double, std::milli> took = clock::now() - start;
    log_request(settings_.worker_id, head, r, took.count());
    if (body.failure() && out.bytes_sent() == 0) {
        // Nothing went out: the client learns why its body was refused (400, 408 or 413).
        const std::error_code& why = body.failure();
        refuse(why == std::errc::timed_out ? 408 : protocol::http_status_for(why), why.message());
        return next::close;
    }
    // A client still waiting for "100 Continue" may or may not send its body now: the
    // connection cannot be trusted to start at a request line any more.
    if (!r.keep_alive || body.continue_pending() || !skip_rest_of_body()) {
        close_after_response();
        return next::close;
    }
    parser().reset();
    return unparsed().empty() ? next::wait_for_request : next::serve_again;
}

std::optional<http_connection::next> http_connection::serve_static(request_tracker& tracker,
                                                                   bool last) {
    if (!parser().body_done()) {
        return std::nullopt;  // a body (chunked): the app's
    }
    add_socket_vars();
    static_reply r = answer_static(*settings_.statics, parser().head(), fd_.get(),
                                   parser().keep_alive() && !last, tracker, settings_.worker_id);
    switch (r.what) {
        case static_reply::kind::app:
            return std::nullopt;
        case static_reply::kind::close:
            close_after_response();
            return next::close;
        case static_reply::kind::finished:
            if (!r.keep_alive) {
                close_after_response();
                return next::close;
            }
            parser().reset();
            return after_file();
        case static_reply::kind::sending:
            pending_file_ = std::move(r.rest);
            keep_after_file_ = r.keep_alive;
            parser().reset();
            return next::send_file;
    }
    return std::nullopt;
}

http_connection::head_state http_connection::read_head(clock::time_point now) {
    if (parser().done()) {
        return head_state::complete;  // back from waiting for the body
    }
    for (;;) {
        std::error_code ec;
        consume(parser().feed(unparsed(), ec));
        if (ec) {
            answer_error(ec);
            return head_state::failed;
        }
        if (parser().done()) {
            return head_state::complete;
        }
        if (rx_->full()) {
            answer_error(protocol::errc::http_header_too_large);
            return head_state::failed;
        }
        // A client that sends its head in pieces (or a slow loris) must not hold a request
        // thread: what is not there yet is waited for by the poller, until the deadline.
        const long got = receive_now();
        if (got < 0 && errno == EAGAIN) {
            if (now - head_started_ >= settings_.timeouts.header) {
                expire(now);
                return head_state::failed;
            }
            return head_state::incomplete;
        }
        if (got <= 0) {
            // Between requests, a close is how keep-alive ends; mid-head it is worth a note.
            const std::error_code why = got == 0 ? parser().finish() : receive_error(got);
            if (why) {
                log::debug("worker {}: {}: {} while reading a request", settings_.worker_id,
                           peer_text_, why.message());
            }
            return head_state::failed;
        }
    }
}

http_connection::head_state http_connection::await_body(clock::time_point now) {
    for (;;) {
        if (body_buffered()) {
            return head_state::complete;
        }
        const long got = receive_now();
        if (got > 0) {
            body_moved_ = now;
            continue;
        }
        if (got < 0 && errno == EAGAIN) {
            if (body_awaited_ == clock::time_point{}) {
                body_awaited_ = now;
                body_moved_ = now;
            } else if (now >= parked_until(now, {})) {
                expire(now);
                return head_state::failed;
            }
            return head_state::incomplete;
        }
        if (got == 0) {
            // The client sent all it will (a half-close): the app gets the request, and its
            // body reads report a truncated body as usual.
            return head_state::complete;
        }
        log::debug("worker {}: {}: {} while waiting for a request body", settings_.worker_id,
                   peer_text_, std::strerror(errno));
        return head_state::failed;
    }
}

// Whether the request can go to a thread: its body is all here, or more than fits, or the
// client waits for "100 Continue" before sending it.
bool http_connection::body_buffered() const noexcept {
    if (parser().body_done() || parser().expects_continue()) {
        return true;
    }
    const std::span<const std::byte> have = unparsed();
    if (have.size() >= body_room) {
        return true;
    }
    const protocol::request_head& head = parser().head();
    if (!head.chunked) {
        return have.size() >= head.content_length;
    }
    // A chunked body ends with CRLF CRLF (the last chunk, any trailers, an empty line). A
    // chunk's data can end so too: that request merely goes to its thread a little early.
    constexpr std::string_view end = "\r\n\r\n";
    return have.size() >= end.size() &&
           std::memcmp(have.data() + have.size() - end.size(), end.data(), end.size()) == 0;
}

// Once per request: a static lookup that falls through to the app has added them already
// (a client cannot send a REMOTE_ADDR var: its headers are all HTTP_*). The values are the
// connection's own strings, the keys literals, and an X-Forwarded-For address a view of the
// head itself, which all outlive the head: views, not copies (the parser is reset before
// its buffers leave the connection). From a trusted proxy, the client's address and scheme
// are the proxy's word, as uwsgi_pass would pass them: REMOTE_ADDR from X-Forwarded-For,
// HTTPS (so wsgi.url_scheme) from X-Forwarded-Proto.
void http_connection::add_socket_vars() {
    const auto& head = parser().head();
    if (head.find("REMOTE_ADDR")) {
        return;
    }
    std::string_view remote = peer_.host;
    if (trusted_proxy_) {
        if (const auto xff = head.find("HTTP_X_FORWARDED_FOR")) {
            remote = protocol::forwarded_client(*xff).value_or(remote);
        }
        if (const auto proto = head.find("HTTP_X_FORWARDED_PROTO");
            proto && protocol::forwarded_proto(*proto) == protocol::forwarded_scheme::https) {
            parser().add_lasting_var("HTTPS", "on");
        }
    }
    parser().add_lasting_var("REMOTE_ADDR", remote);
    parser().add_lasting_var("REMOTE_PORT", peer_.port);
    if (!head.find("SERVER_NAME")) {
        parser().add_lasting_var("SERVER_NAME", local_host_);
    }
    if (!head.find("SERVER_PORT")) {
        parser().add_lasting_var("SERVER_PORT", local_port_);
    }
}

bool http_connection::skip_rest_of_body() {
    std::uint64_t skipped = 0;
    while (!parser().body_done()) {
        std::error_code ec;
        const protocol::http_body_piece piece = parser().feed_body(unparsed(), ec);
        consume(piece.consumed);
        skipped += piece.data.size();
        if (ec || skipped > max_skipped_body) {
            return false;
        }
        if (piece.consumed == 0 && !parser().body_done() && receive_now() <= 0) {
            return false;
        }
    }
    return true;
}

void http_connection::answer_error(const std::error_code& ec) {
    refuse(protocol::http_status_for(ec), ec.message());
}

void http_connection::refuse(int status, std::string_view why) {
    if (rx_ && parser().done()) {
        const protocol::request_head& head = parser().head();
        log::warning("worker {}: {}: {} {}: {}; answered {} and closed", settings_.worker_id,
                     peer_text_, var_or_dash(head, "REQUEST_METHOD"),
                     var_or_dash(head, "REQUEST_URI"), why, status);
    } else {
        log::warning("worker {}: {}: {}; answered {} and closed", settings_.worker_id, peer_text_,
                     why, status);
    }
    // Without waiting: this may run on the poller's sweep, and a client that reads nothing
    // must not stall it. A few hundred bytes fit in any send buffer that is not full already.
    const std::string response = protocol::http_error_response(status);
    [[maybe_unused]] const ssize_t sent =
        send(fd_.get(), response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (settings_.closer != nullptr) {
        settings_.closer->linger(std::move(fd_), {});
    }
}

void http_connection::close_after_response() {
    // With the whole request read, nothing can reset the connection: a plain close will do.
    if (parser().body_done() && unparsed().empty()) {
        return;
    }
    if (settings_.closer != nullptr) {
        settings_.closer->linger(std::move(fd_), {});
    }
}

}  // namespace gantry::server
