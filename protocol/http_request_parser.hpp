// Sans-I/O decoder of the HTTP/1.1 requests on a --http-socket connection, one at a time,
// built on Boost.Beast's basic_parser (kept out of this header: the tree does not pay for
// it). The head becomes the request_head the uwsgi path produces, its vars what nginx's
// uwsgi_params would send, so the WSGI bridge cannot tell the two apart; then the body is
// de-framed (Content-Length or chunked) piece by piece. The parser owns the decoded
// strings, so the caller may drop consumed bytes: every view stays valid until reset().
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "protocol/request_head.hpp"

namespace gantry::protocol {

struct http_limits {
    static constexpr std::size_t default_max_head = 8 * 1024;
    // Request line + headers + the blank line; errc::http_header_too_large (431) above.
    std::size_t max_head = default_max_head;
    // --limit-post: errc::http_body_too_large (413) above; nullopt for no limit.
    std::optional<std::uint64_t> max_body;
};

// One step of body decoding. `data` is decoded body bytes: a view into the bytes given to
// feed_body(), to be used before the caller drops the `consumed` ones. A step may consume
// framing only (a chunk-size line) and yield no data.
struct http_body_piece {
    std::size_t consumed = 0;
    std::span<const std::byte> data;
};

class http_request_parser {
public:
    explicit http_request_parser(http_limits limits = {});
    ~http_request_parser();
    http_request_parser(http_request_parser&&) noexcept;
    http_request_parser& operator=(http_request_parser&&) noexcept;

    // --- the head ---------------------------------------------------------------------
    // `data` is every byte received since reset() that feed() has not consumed. Consumes
    // what it can (CR/LF before a request line, whole header lines, the end of the head):
    // "need more" is 0 or a partial count with no error. Stops at the end of the head,
    // when done() becomes true: the bytes after it are the body's or the next request's.
    // On an error, returns 0 and sets `ec`; the connection should be answered and closed.
    std::size_t feed(std::span<const std::byte> data, std::error_code& ec);

    bool done() const noexcept;

    // Complete once done(); also after errc::http_body_too_large, for the log line.
    // Vars: REQUEST_METHOD, REQUEST_URI, PATH_INFO (percent-decoded), QUERY_STRING,
    // SERVER_PROTOCOL, CONTENT_TYPE and CONTENT_LENGTH when sent, SERVER_NAME and
    // SERVER_PORT from the Host when it names them, one HTTP_* per header (repeats joined
    // by ", ", Cookie by "; "; names with '_' dropped). content_length and chunked frame
    // the body.
    const request_head& head() const noexcept;

    // Appends a var (REMOTE_ADDR, SERVER_PORT when the Host names none...), copying both
    // strings. The WSGI environ keeps the last of a repeated key.
    void add_var(std::string_view key, std::string_view value);
    // The same without the copies: the caller keeps both strings alive and unchanged until
    // reset() (the connection's own addresses, which outlive every request on it).
    void add_lasting_var(std::string_view key, std::string_view value);

    // Beast's rule, once done(): HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
    // "Connection: keep-alive".
    bool keep_alive() const noexcept;

    // "Expect: 100-continue" on an HTTP/1.1 request (RFC 9110 10.1.1: ignored for 1.0).
    bool expects_continue() const noexcept;

    // --- the body, once done() ------------------------------------------------------------
    // `data` is every received byte feed() and feed_body() have not consumed. Yields at
    // most `max_data` body bytes per call. Returns {0, {}} with no error when it needs
    // more bytes, and once body_done(): what follows is the next request's.
    http_body_piece feed_body(std::span<const std::byte> data, std::error_code& ec,
                              std::size_t max_data = std::numeric_limits<std::size_t>::max());

    // The whole body has been yielded (at once when done() for a request without one);
    // chunk extensions and trailers are skipped.
    bool body_done() const noexcept;

    // --- the connection ---------------------------------------------------------------
    // Call when the peer closed: none between requests (nothing since reset() but CR/LF)
    // or once body_done(); else errc::http_truncated_head or http_truncated_body; or the
    // error feed() or feed_body() reported.
    std::error_code finish() const noexcept;

    // Ready for the next request on the connection; keeps every buffer's capacity. Views
    // into the previous head become invalid.
    void reset();

private:
    class impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace gantry::protocol
