// One client connection on a --http-socket: its socket, the bytes received but not yet
// parsed, and the HTTP parser. A request thread serves one request at a time on it;
// between requests the connection is parked in the worker's epoll set, so an idle
// keep-alive client never holds a request thread, nor (see request_buffers) the buffers
// of a request.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "embed/wsgi_app.hpp"
#include "protocol/http_request_parser.hpp"
#include "server/http/file_sender.hpp"
#include "server/http/request_buffers.hpp"
#include "server/net/io_budget.hpp"
#include "server/net/lingering_closer.hpp"
#include "server/net/peer_address.hpp"
#include "server/scoreboard/request_tracker.hpp"
#include "server/util/object_pool.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

class static_files;
class trusted_proxies;

struct http_settings {
    int worker_id = 1;
    std::uint64_t limit_post = 0;  // 0: no limit
    std::size_t max_head = protocol::http_limits::default_max_head;
    io_timeouts timeouts;
    lingering_closer* closer = nullptr;      // closes a connection the client still sends on
    std::atomic<int>* open_count = nullptr;  // the worker's open HTTP connections, this included
    const static_files* statics = nullptr;   // --static-map; null: none
    // Peers whose X-Forwarded-For/-Proto are believed; null: nobody's.
    const trusted_proxies* forwarded = nullptr;
    // Where a connection takes its request buffers and gives them back; null: each makes its own.
    object_pool<request_buffers>* buffers = nullptr;
};

// Request buffers sized for `settings` (--limit-post, the head limit).
std::unique_ptr<request_buffers> make_request_buffers(const http_settings& settings);

class http_connection {
public:
    using clock = std::chrono::steady_clock;

    // What to do with the connection after serve_one(). send_file: a static response is under
    // way; take_file() has the rest for the file_sender.
    enum class next { close, wait_for_request, serve_again, send_file };

    // Owns the connected socket `conn` from here on: it closes with the connection. Its
    // request buffers are taken when its first request is served.
    http_connection(unique_fd conn, const peer_address& peer, const http_settings& settings);
    ~http_connection();
    http_connection(const http_connection&) = delete;
    http_connection& operator=(const http_connection&) = delete;

    int fd() const noexcept { return fd_.get(); }

    // Until when the connection may wait in the poller: the request head under way must be
    // complete --http-header-timeout after its first byte, a body the request waits for
    // --body-timeout after the head; an idle connection gets `keepalive`.
    clock::time_point parked_until(clock::time_point now, clock::duration keepalive) const noexcept;
    // Past parked_until(): a request under way is answered 408; the connection is then
    // closed (by the caller, dropping it).
    void expire(clock::time_point now) noexcept;

    // Reads one request, lets the app answer it, and says whether another may follow.
    // `last`: the worker takes no request after this one (--max-requests), so the response
    // tells the client to close instead of keeping the connection for a request it would lose.
    next serve_one(embed::wsgi_app& app, request_tracker& tracker, bool last = false);

    // Between requests, with nothing of the next one received: gives the request buffers
    // back, for serve_one() to take again. A connection waiting for the rest of a head or
    // body keeps them.
    void release_buffers_if_idle() noexcept;

    // Reads more bytes from the socket into the buffer; 0 at end of stream, -1 on error
    // (errno EAGAIN: nothing came within the budget's limits). Public for the body source,
    // which reads through the same buffer.
    long receive(io_budget& budget);
    // The same without waiting (errno EAGAIN: nothing is there now).
    long receive_now();
    // Only while the connection holds its buffers (in serve_one(), and until it is parked).
    std::span<const std::byte> unparsed() const noexcept {
        return rx_ ? rx_->unparsed() : std::span<const std::byte>{};
    }
    void consume(std::size_t n) noexcept { rx_->consume(n); }
    protocol::http_request_parser& parser() noexcept { return rx_->parser(); }
    const protocol::http_request_parser& parser() const noexcept { return rx_->parser(); }
    // After next::send_file: what is left to send, and whether the connection serves on.
    file_transfer take_file() noexcept { return std::move(pending_file_); }
    bool keep_alive_after_file() const noexcept { return keep_after_file_; }
    // Once its file is sent: next::wait_for_request, or next::serve_again when the client's
    // next request is here already.
    next after_file() const noexcept {
        return unparsed().empty() ? next::wait_for_request : next::serve_again;
    }

private:
    enum class head_state { complete, incomplete, failed };
    head_state read_head(clock::time_point now);
    // A static file answer (see static_responder), or nothing when the app must answer.
    std::optional<next> serve_static(request_tracker& tracker, bool last);
    // A small body is waited for here, before the request goes to a thread (as nginx does):
    // a client sending it slowly then holds a parked connection, not a request thread.
    head_state await_body(clock::time_point now);
    bool body_buffered() const noexcept;
    void add_socket_vars();
    // Drops what is left of the body, if it is all there already, so that the next request
    // can be parsed; false when it is not (the connection is then closed instead: waiting
    // for it would hold the request thread).
    bool skip_rest_of_body();
    void answer_error(const std::error_code& ec);
    // Answers a refused request with `status` and closes; `why` goes to the log.
    void refuse(int status, std::string_view why);
    // Closes now, or through the lingering closer when the client may still be sending.
    void close_after_response();
    long received(long n) noexcept;

    unique_fd fd_;
    peer_address peer_;
    std::string peer_text_;
    std::string local_host_;
    std::string local_port_;
    http_settings settings_;
    std::unique_ptr<request_buffers> rx_;  // null while idle
    clock::time_point head_started_{};     // the first byte of the head under way; {}: none yet
    clock::time_point body_awaited_{};     // since when a complete head waits for its body
    clock::time_point body_moved_{};       // when the awaited body's last bytes came
    file_transfer pending_file_;
    bool keep_after_file_ = false;
    bool trusted_proxy_ = false;  // the peer's X-Forwarded-For/-Proto are believed
};

}  // namespace gantry::server
