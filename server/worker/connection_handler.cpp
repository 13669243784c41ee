#include "server/worker/connection_handler.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "protocol/http_response.hpp"
#include "server/http/static_responder.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"
#include "server/net/socket_stream.hpp"

namespace gantry::server {
namespace {

// Room for the largest head plus the start of the body, which often arrives with it.
constexpr std::size_t body_room = 64 * 1024;

}  // namespace

connection_handler::connection_handler(const worker_settings& settings, embed::wsgi_app& app,
                                       request_tracker tracker, lingering_closer& closer,
                                       file_sender* sender)
    : worker_id_(settings.id),
      limit_post_(settings.limit_post),
      timeouts_(settings.timeouts),
      closer_(closer),
      statics_(settings.statics),
      sender_(sender),
      app_(app),
      tracker_(tracker),
      parser_(settings.buffer_size),
      buffer_(protocol::request_parser::header_size + settings.buffer_size + body_room) {}

// The head must be whole within --http-header-timeout (nginx sends it in one piece): a
// client trickling it holds this thread no longer than that.
std::size_t connection_handler::read_head(int fd, lazy_peer peer) {
    parser_.reset();
    io_budget budget(timeouts_.header, timeouts_.stall);
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = budget.run(
            fd, POLLIN, [&] { return recv(fd, buffer_.data() + have, buffer_.size() - have, 0); });
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log::warning("worker {}: closed connection from {}: {} while reading the request",
                         worker_id_, peer,
                         errno != EAGAIN  ? std::strerror(errno)
                         : budget.spent() ? "head not complete within --http-header-timeout"
                                          : "timed out (--socket-timeout)");
            return 0;
        }
        if (n == 0) {
            // A connect-and-close (a port probe, a health check) is not worth a warning.
            if (have == 0) {
                log::debug("worker {}: {} closed without sending a request", worker_id_, peer);
            } else {
                log::warning("worker {}: closed connection from {}: {}", worker_id_, peer,
                             parser_.finish().message());
            }
            return 0;
        }
        have += static_cast<std::size_t>(n);
        std::error_code ec;
        head_size_ = parser_.feed(std::span(buffer_.data(), have), ec);
        if (ec) {
            log::warning("worker {}: closed connection from {}: {}", worker_id_, peer,
                         ec.message());
            return 0;
        }
        if (parser_.done()) {
            return have;
        }
    }
}

void connection_handler::serve(unique_fd conn, lazy_peer peer) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t have = read_head(conn.get(), peer);
    if (have == 0) {
        return;
    }
    if (limit_post_ != 0 && parser_.head().content_length > limit_post_) {
        refuse_body(std::move(conn), peer);
        return;
    }
    if (statics_ != nullptr && sender_ != nullptr) {
        static_reply s =
            answer_static(*statics_, parser_.head(), conn.get(), false, tracker_, worker_id_);
        switch (s.what) {
            case static_reply::kind::app:
                break;
            case static_reply::kind::sending:
                sender_->send(std::move(conn), std::move(s.rest));
                return;
            case static_reply::kind::finished:
            case static_reply::kind::close:
                closer_.linger(std::move(conn), {});
                return;
        }
    }
    // The connection ends with this response: the stream owns it from here on.
    socket_stream stream(std::move(conn), std::span(buffer_.data() + head_size_, have - head_size_),
                         parser_.head().content_length, timeouts_);
    tracker_.begin(parser_.head());
    const embed::call_result r = app_.handle(parser_.head(), stream, stream);
    tracker_.end(r);
    stream.finish(closer_);
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    log_request(worker_id_, parser_.head(), r, took.count());
}

void connection_handler::refuse_body(unique_fd conn, lazy_peer peer) {
    const std::string response = protocol::http_error_response(413);
    const auto& head = parser_.head();
    log::warning("worker {}: {} {} {}: body of {} bytes is over --limit-post {}: 413", worker_id_,
                 peer, var_or_dash(head, "REQUEST_METHOD"), var_or_dash(head, "REQUEST_URI"),
                 head.content_length, limit_post_);
    socket_stream stream(conn.get(), {}, timeouts_);
    std::error_code ec;
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(response))};
    stream.write(parts, ec);
    closer_.linger(std::move(conn), {.max_bytes = parser_.head().content_length});
}

}  // namespace gantry::server
