// How an HTTP/1.x response's body is delimited (RFC 9112 6.3), decided once per response from
// the connection, the request, the status and what the application declared; and the bytes
// that delimit it (chunk-size lines, the last chunk). Sans-I/O: it adds the framing headers to
// a response_head and hands out string views; the caller sends them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/response_head.hpp"

namespace gantry::protocol {

// What the connection allows, known before the application answers.
struct connection_framing {
    // Speaking HTTP to the client itself. Behind a uwsgi front nothing is added: the front
    // reads until the connection closes, and closing it is how the response ends.
    bool delimit = false;
    bool keep_alive = false;  // the client asked to keep the connection open
    bool chunked_ok = false;  // HTTP/1.1: a body of unknown length may be sent chunked
};

// How the body's end is marked.
enum class body_delimiter : std::uint8_t {
    none,            // no body follows: a HEAD request, or a 1xx, 204 or 304 status
    content_length,  // the app's Content-Length, or one the codec adds for a known total
    chunked,
    close,  // the end of the connection: uwsgi, HTTP/1.0 of unknown length, or "close" asked
};

// What to do with one application header.
enum class header_verdict : std::uint8_t {
    pass,                // add it to the head
    hop_by_hop,          // dropped: the connection is the server's business (PEP 3333)
    same_length_again,   // dropped: a second Content-Length with the same value
    conflicting_length,  // a second Content-Length with another value: the app is wrong
    invalid_length,      // a Content-Length that is not a decimal number
};

// The header names an application may not send (RFC 9110 7.6.1), spelled as they are
// reported; response_framer::dropped() is a bit set over this table.
inline constexpr std::array<std::string_view, 6> hop_by_hop_headers = {
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade"};

// One chunk-size line (RFC 9112 7.1: chunk-size in hex, then CRLF), held by value so that
// it costs no allocation; a default one is empty (no line at all).
class chunk_size_line {
public:
    chunk_size_line() = default;
    explicit chunk_size_line(std::uint64_t size) noexcept;
    std::string_view view() const noexcept { return {buf_.data(), size_}; }

private:
    std::array<char, 20> buf_{};
    std::size_t size_ = 0;
};

class response_framer {
public:
    // A new response on a connection; `head_request`: the request's method is HEAD.
    void reset(const connection_framing& conn, bool head_request) noexcept;
    // A new head with this status (start_response may be called again, with exc_info, as
    // long as nothing was sent): forgets what the previous head's headers declared.
    void start(int status) noexcept;
    // Looks at one application header; only a `pass` one goes into the head.
    header_verdict check(std::string_view name, std::string_view value) noexcept;
    // Decides the delimiter and adds its headers to `head` (Content-Length, Transfer-Encoding,
    // Connection). `known_total`: the whole body's length, when known before the head goes.
    void finish_head(response_head& head, std::optional<std::uint64_t> known_total);

    // Of `size` more body bytes the app offers, how many may go out: none when the response
    // carries no body, none past a Content-Length. Counts what was offered.
    std::uint64_t admit(std::uint64_t size) noexcept;
    // What goes before and after a body piece of `size` bytes: nothing unless chunked (and a
    // piece of 0 bytes is never framed, since a 0 chunk-size line would end the body).
    chunk_size_line chunk_start(std::uint64_t size) const noexcept;
    std::string_view chunk_end(std::uint64_t size) const noexcept;
    bool chunked() const noexcept { return delimiter_ == body_delimiter::chunked; }
    // What ends the body after the last piece: the last chunk when chunked, else "".
    std::string_view last_chunk() const noexcept;

    body_delimiter delimiter() const noexcept { return delimiter_; }
    int status() const noexcept { return status_; }
    bool head_request() const noexcept { return head_request_; }
    bool body_allowed() const noexcept { return body_allowed_; }
    // The connection may serve another request: it was asked to, and the body was delimited
    // and is whole (a body short of its Content-Length leaves the client waiting for more).
    bool keep_alive() const noexcept;
    // The app's Content-Length, if it declared one.
    std::optional<std::uint64_t> declared_length() const noexcept { return declared_; }
    // Body bytes the app offered, sent or not.
    std::uint64_t offered() const noexcept { return offered_; }
    // The hop-by-hop headers dropped, one bit per entry of hop_by_hop_headers.
    unsigned dropped() const noexcept { return dropped_; }

private:
    body_delimiter decide(std::optional<std::uint64_t> known_total) noexcept;

    connection_framing conn_;
    bool head_request_ = false;
    int status_ = 0;
    bool body_allowed_ = true;
    bool app_asked_close_ = false;
    bool keep_alive_ = false;
    body_delimiter delimiter_ = body_delimiter::close;
    std::optional<std::uint64_t> declared_;
    std::optional<std::uint64_t> length_;  // the Content-Length in the head, declared or added
    std::uint64_t offered_ = 0;
    std::uint64_t admitted_ = 0;
    unsigned dropped_ = 0;
};

}  // namespace gantry::protocol
