#include "protocol/http_framing.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "protocol/ascii.hpp"

namespace gantry::protocol {
namespace {

// 0x20 in each byte of `w` that is a lower-case ASCII letter, 0 elsewhere (bytes < 0x80).
constexpr std::uint64_t letter_bits(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101;
    const std::uint64_t at_least_a = w + ones * (0x80 - 'a');  // high bit: byte >= 'a'
    const std::uint64_t past_z = w + ones * (0x80 - 'z' - 1);  // high bit: byte > 'z'
    return (at_least_a & ~past_z & ones * 0x80) >> 2;
}

// `a` equals the lower-case `lower_b`, ignoring the case of ASCII letters in `a`. Every
// header of every response is compared here, so eight bytes at a time: a letter's case is
// its 0x20 bit, OR-ed in where `lower_b` has a letter; every other byte must match exactly
// (OR-ing it into a '-' would let a CR through).
bool iequals(std::string_view a, std::string_view lower_b) noexcept {
    if (a.size() != lower_b.size()) {
        return false;
    }
    std::size_t i = 0;
    for (; i + 8 <= a.size(); i += 8) {
        std::uint64_t x = 0;
        std::uint64_t y = 0;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, lower_b.data() + i, 8);
        if ((x | letter_bits(y)) != y) {
            return false;
        }
    }
    for (; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != lower_b[i]) {
            return false;
        }
    }
    return true;
}

// The index of `name` in hop_by_hop_headers, or -1. Every header of every response comes
// through here: the length picks the one or two names worth comparing.
int hop_by_hop_index(std::string_view name) noexcept {
    switch (name.size()) {
        case 2:
            return iequals(name, "te") ? 3 : -1;
        case 7:
            return iequals(name, "upgrade") ? 5 : -1;
        case 10:
            return iequals(name, "connection") ? 0 : iequals(name, "keep-alive") ? 1 : -1;
        case 16:
            return iequals(name, "proxy-connection") ? 2 : -1;
        case 17:
            return iequals(name, "transfer-encoding") ? 4 : -1;
        default:
            return -1;
    }
}

// RFC 9110 8.6: Content-Length = 1*DIGIT.
std::optional<std::uint64_t> parse_length(std::string_view v) noexcept {
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size()) {
        return std::nullopt;
    }
    return n;
}

// RFC 9110 7.6.1: Connection = #connection-option; "close" among them ends the connection.
bool has_close_option(std::string_view value) noexcept {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        std::string_view option = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        while (!option.empty() && (option.front() == ' ' || option.front() == '\t')) {
            option.remove_prefix(1);
        }
        while (!option.empty() && (option.back() == ' ' || option.back() == '\t')) {
            option.remove_suffix(1);
        }
        if (iequals(option, "close")) {
            return true;
        }
    }
    return false;
}

}  // namespace

chunk_size_line::chunk_size_line(std::uint64_t size) noexcept {
    const auto end = std::to_chars(buf_.data(), buf_.data() + buf_.size() - 2, size, 16).ptr;
    end[0] = '\r';
    end[1] = '\n';
    size_ = static_cast<std::size_t>(end + 2 - buf_.data());
}

void response_framer::reset(const connection_framing& conn, bool head_request) noexcept {
    conn_ = conn;
    head_request_ = head_request;
    offered_ = 0;
    admitted_ = 0;
    start(0);
}

void response_framer::start(int status) noexcept {
    status_ = status;
    // RFC 9110 9.3.2: the server "MUST NOT send content in the response" to HEAD; 15.2:
    // a 1xx response is "terminated by the end of the header section"; 15.3.5 and 15.4.5:
    // a 204 or a 304 "cannot contain content".
    body_allowed_ = !head_request_ && status >= 200 && status != 204 && status != 304;
    app_asked_close_ = false;
    keep_alive_ = false;
    delimiter_ = body_delimiter::close;
    declared_.reset();
    length_.reset();
    dropped_ = 0;
}

header_verdict response_framer::check(std::string_view name, std::string_view value) noexcept {
    if (name.size() == 14 && iequals(name, "content-length")) {
        const auto length = parse_length(value);
        if (!length) {
            return header_verdict::invalid_length;
        }
        if (declared_) {
            // RFC 9110 8.6: a recipient of differing values must treat the message as invalid;
            // the same value twice is one value.
            return *declared_ == *length ? header_verdict::same_length_again
                                         : header_verdict::conflicting_length;
        }
        declared_ = length;
        return header_verdict::pass;
    }
    const int hop = hop_by_hop_index(name);
    if (hop < 0) {
        return header_verdict::pass;
    }
    // PEP 3333: "Applications and middleware are forbidden from using HTTP/1.1 hop-by-hop
    // features or headers [...] or any headers that would affect the persistence of the
    // client's connection to the web server." An app that asks to close still gets its wish.
    dropped_ |= 1U << hop;
    app_asked_close_ = app_asked_close_ || (hop == 0 && has_close_option(value));
    return header_verdict::hop_by_hop;
}

body_delimiter response_framer::decide(std::optional<std::uint64_t> known_total) noexcept {
    keep_alive_ = conn_.delimit && conn_.keep_alive && !app_asked_close_;
    if (!body_allowed_) {
        return body_delimiter::none;
    }
    if (declared_) {
        length_ = declared_;
        return body_delimiter::content_length;
    }
    if (!keep_alive_) {
        return body_delimiter::close;  // the connection ends anyway: nothing to add
    }
    if (known_total) {
        length_ = known_total;
        return body_delimiter::content_length;
    }
    if (conn_.chunked_ok) {
        return body_delimiter::chunked;
    }
    keep_alive_ = false;  // RFC 9112 6.3: an HTTP/1.0 body of unknown length ends at close
    return body_delimiter::close;
}

void response_framer::finish_head(response_head& head, std::optional<std::uint64_t> known_total) {
    const bool added_length = !declared_;
    delimiter_ = decide(known_total);
    if (!conn_.delimit) {
        return;  // uwsgi: the front reads until the connection closes
    }
    if (delimiter_ == body_delimiter::content_length && added_length) {
        std::array<char, 20> digits{};  // 2^64 has 20 digits
        const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *length_).ptr;
        head.add("Content-Length", std::string_view(digits.data(), end));
    } else if (delimiter_ == body_delimiter::chunked) {
        head.add("Transfer-Encoding", "chunked");
    }
    if (!keep_alive_) {
        head.add("Connection", "close");
    } else if (!conn_.chunked_ok) {
        head.add("Connection", "keep-alive");  // RFC 9112 9.3: HTTP/1.0 clients look for it
    }
}

std::uint64_t response_framer::admit(std::uint64_t size) noexcept {
    const std::uint64_t before = offered_;
    offered_ += size;
    std::uint64_t n = size;
    if (!body_allowed_) {
        n = 0;
    } else if (declared_) {
        n = before >= *declared_ ? 0 : std::min(size, *declared_ - before);
    }
    admitted_ += n;
    return n;
}

chunk_size_line response_framer::chunk_start(std::uint64_t size) const noexcept {
    return chunked() && size > 0 ? chunk_size_line(size) : chunk_size_line();
}

std::string_view response_framer::chunk_end(std::uint64_t size) const noexcept {
    return chunked() && size > 0 ? "\r\n" : "";
}

std::string_view response_framer::last_chunk() const noexcept {
    // RFC 9112 7.1: last-chunk = 1*("0") [ chunk-ext ] CRLF, then the (empty) trailer section
    // and the final CRLF.
    return chunked() ? "0\r\n\r\n" : "";
}

bool response_framer::keep_alive() const noexcept {
    if (delimiter_ == body_delimiter::content_length) {
        return keep_alive_ && admitted_ == *length_;
    }
    return keep_alive_ && delimiter_ != body_delimiter::close;
}

}  // namespace gantry::protocol
