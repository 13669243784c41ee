#include "server/worker/connection_handler.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "server/log/log.hpp"
#include "server/net/socket_stream.hpp"

namespace gantry::server {
namespace {

// Room for the largest head plus the start of the body, which often arrives with it.
constexpr std::size_t body_room = 64 * 1024;

std::string_view var_or_dash(const protocol::request_head& head, std::string_view key) {
    const auto v = head.find(key);
    return v && !v->empty() ? *v : std::string_view("-");
}

// Closing with unread request bytes makes the kernel send a reset, which can destroy the
// response before the front has read it. So: no more writes, then a short, bounded drain.
void linger_close(int fd) {
    constexpr std::size_t max_drain = 1 << 20;
    shutdown(fd, SHUT_WR);
    const timeval brief{.tv_sec = 1, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
    char sink[16384];
    std::size_t drained = 0;
    while (drained < max_drain) {
        const ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n <= 0) {
            break;
        }
        drained += static_cast<std::size_t>(n);
    }
}

}  // namespace

connection_handler::connection_handler(int worker_id, std::size_t buffer_size,
                                       std::uint64_t limit_post, embed::wsgi_app& app)
    : worker_id_(worker_id),
      limit_post_(limit_post),
      app_(app),
      parser_(buffer_size),
      buffer_(protocol::request_parser::header_size + buffer_size + body_room) {}

std::size_t connection_handler::read_head(int fd, std::string_view peer) {
    parser_.reset();
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = recv(fd, buffer_.data() + have, buffer_.size() - have, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            log::warning("worker {}: closed connection from {}: {} while reading the request",
                         worker_id_, peer, errno == EAGAIN ? "timed out" : std::strerror(errno));
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

void connection_handler::serve(int fd, std::string_view peer) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t have = read_head(fd, peer);
    if (have == 0) {
        return;
    }
    if (limit_post_ != 0 && parser_.head().content_length > limit_post_) {
        refuse_body(fd, peer);
        return;
    }
    socket_stream stream(fd, std::span(buffer_.data() + head_size_, have - head_size_));
    const embed::call_result r = app_.handle(parser_.head(), stream, stream);
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    log_result(r, took.count());
}

void connection_handler::refuse_body(int fd, std::string_view peer) {
    static constexpr std::string_view response =
        "HTTP/1.1 413 Request Entity Too Large\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 25\r\n"
        "\r\n"
        "Request Entity Too Large\n";
    const auto& head = parser_.head();
    log::warning("worker {}: {} {} {}: body of {} bytes is over --limit-post {}: 413", worker_id_,
                 peer, var_or_dash(head, "REQUEST_METHOD"), var_or_dash(head, "REQUEST_URI"),
                 head.content_length, limit_post_);
    socket_stream stream(fd, {});
    std::error_code ec;
    const std::span<const std::byte> parts[] = {std::as_bytes(std::span(response))};
    stream.write(parts, ec);
    linger_close(fd);
}

void connection_handler::log_result(const embed::call_result& r, double millis) const {
    const auto& head = parser_.head();
    const auto method = var_or_dash(head, "REQUEST_METHOD");
    const auto uri = var_or_dash(head, "REQUEST_URI");
    switch (r.result) {
        case embed::outcome::ok:
            log::info("worker {}: {} {} {} => {}, {} bytes in {:.2f} ms", worker_id_,
                      var_or_dash(head, "REMOTE_ADDR"), method, uri, r.status, r.bytes_sent,
                      millis);
            break;
        case embed::outcome::app_error:
            log::error("worker {}: {} {}: the application failed, 500 sent:\n{}", worker_id_,
                       method, uri, r.message);
            break;
        case embed::outcome::response_aborted:
            log::error(
                "worker {}: {} {}: the application failed after the response started; "
                "connection closed:\n{}",
                worker_id_, method, uri, r.message);
            break;
        case embed::outcome::client_gone:
            log::debug("worker {}: {} {}: {}", worker_id_, method, uri, r.message);
            break;
        case embed::outcome::body_failed:
            log::warning("worker {}: {} {}: {}; connection closed", worker_id_, method, uri,
                         r.message);
            break;
        case embed::outcome::no_app:
            log::info("worker {}: {} {} {} => 404, no application mounted there", worker_id_,
                      var_or_dash(head, "REMOTE_ADDR"), method, uri);
            break;
    }
    if (!r.warning.empty()) {
        log::warning("worker {}: {} {}: {}", worker_id_, method, uri, r.warning);
    }
}

}  // namespace gantry::server
