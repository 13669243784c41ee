// The HTTP rules for a static file response, with no I/O: the validators (strong ETag,
// Last-Modified), conditional requests (If-None-Match, If-Modified-Since -> 304), single
// byte ranges (Range, If-Range -> 206 or 416), content coding negotiation, and the response
// head. RFC 9110 sections 8.8, 13 and 14; what nginx does where the RFC leaves a choice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gantry::protocol {

// What the server knows of the file it is about to send (from fstat).
struct file_facts {
    std::uint64_t size = 0;
    std::int64_t mtime_sec = 0;
    std::int64_t mtime_nsec = 0;
    std::uint64_t inode = 0;
};

// A strong ETag from inode, size and mtime (nanoseconds), quotes included:
// "\"<inode hex>-<size hex>-<mtime ns hex>\"". It changes whenever the file is replaced or
// rewritten; a compressed sibling has its own.
std::string strong_etag(const file_facts& f);

// IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::int64_t unix_seconds);
// IMF-fixdate and the two obsolete forms (RFC 850, asctime) a recipient must accept;
// nothing for anything else (names are case-sensitive, the weekday is not checked against
// the date; OWS around the value is allowed). RFC 850's two-digit year: 70-99 are 19xx,
// 00-69 20xx (there is no clock here to read it relative to).
std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept;

// Whether `accept_encoding` (the header's value) accepts `coding` ("gzip", "br"): named
// with a q above 0, or through "*" with a q above 0 and not named with q=0. Codings are
// case-insensitive, "x-gzip" is "gzip"; a malformed q counts as 0 and "" accepts nothing
// (no Accept-Encoding: send the file as it is, as nginx does).
bool accepts_coding(std::string_view accept_encoding, std::string_view coding) noexcept;

// The request headers that decide a static response (empty: not sent).
struct static_conditions {
    bool head = false;  // HEAD: the same head, no body
    std::string_view if_match;
    std::string_view if_unmodified_since;
    std::string_view if_none_match;
    std::string_view if_modified_since;
    std::string_view range;
    std::string_view if_range;
};

struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t length = 0;
};

struct static_decision {
    int status = 200;  // 200, 206, 304, 412 or 416
    byte_range body;   // what to send of the file: all of it for 200, the range for 206
};

// RFC 9110 13.2.2's order: If-Match (strong comparison, "*" matches any file) that fails
// -> 412, else (only without If-Match) If-Unmodified-Since before the mtime -> 412; then
// If-None-Match (weak comparison, "*" matches) -> 304, else
// If-Modified-Since (only without If-None-Match; a date at or after the mtime) -> 304; then
// Range: one "bytes=" range (first-last, first-, -suffix) that fits -> 206 of it, none that
// fits -> 416; several ranges, other units or bad syntax -> the whole file (200), as the
// RFC allows. If-Range (a strong ETag that must equal `etag`, or a date that must equal
// the mtime exactly) that does not hold -> the whole file. A HEAD is decided the same way.
// Details: a last-pos past the end is clamped, a suffix longer than the file is all of it,
// "-0" and any range of an empty file are 416; last-pos < first-pos is bad syntax (200).
// An unreadable date in If-Unmodified-Since or If-Modified-Since is ignored (RFC 9110
// 13.1.4). The body of a 304, 412 or 416 is {0, 0}.
static_decision decide_static(const static_conditions& c, const file_facts& f,
                              std::string_view etag) noexcept;

struct static_head {
    int status = 200;
    bool http11 = true;  // the request's protocol: HTTP/1.0 gets an HTTP/1.0 status line
    bool keep_alive = true;
    std::string_view content_type;      // "text/css; charset=utf-8"
    std::string_view content_encoding;  // "" or "gzip", "br"
    std::string_view etag;
    std::int64_t last_modified = 0;  // Unix seconds
    std::string_view cache_control;  // "" or "max-age=3600"
    std::int64_t expires = 0;        // Unix seconds for an Expires header; 0: none
    bool vary_accept_encoding = false;
    std::uint64_t file_size = 0;  // the whole representation's size (Content-Range)
    byte_range body;              // what follows the head (Content-Length)
};

// The complete head, "HTTP/1.1 200 OK\r\n...\r\n\r\n": Date, Content-Type (absent for 304),
// Content-Length (absent for 304), Last-Modified, ETag, Accept-Ranges: bytes,
// Content-Range for 206 ("bytes 0-99/1000") and 416 ("bytes */1000"), Cache-Control,
// Expires, Vary, Content-Encoding, and "Connection: close" or "keep-alive" (the latter for
// HTTP/1.0 only). `now`: the Date header's Unix seconds. A 304 carries no Content-Type,
// Content-Length, Accept-Ranges or Content-Encoding (RFC 9110 15.4.5); a 416 has
// Content-Length: 0 and neither the file's Content-Type, Content-Encoding, Cache-Control
// nor Expires (its empty content is not the file, and must not be cached as if it were); a
// 412 is written the same way, with no Content-Range.
std::string static_response_head(const static_head& h, std::int64_t now);

}  // namespace gantry::protocol
