// libFuzzer target: protocol::http_request_parser, the --http-socket decoder, head and body
// (Content-Length or chunked), for up to four pipelined requests on one connection.
//
// Input: two control bytes, then the bytes the client sends. Byte 0: bits 0-6 the size of
// each read (0: everything at once), bit 7 small limits (max_head 256, --limit-post 64).
// Byte 1: bits 0-6 the most body bytes taken per feed_body() call (0: no limit).
// The same stream is also read in one piece with no body cap; when neither way fails, both
// must give the same heads, bodies and leftover. As a server does, the reader drops the
// bytes the parser consumed (into a new buffer, freeing the old one): a view the parser
// kept into them is a use-after-free under ASan.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/http_request_parser.hpp"

namespace {

using gantry::protocol::http_body_piece;
using gantry::protocol::http_limits;
using gantry::protocol::http_request_parser;

constexpr int max_requests = 4;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

struct request_seen {
    std::vector<std::string> vars;  // key, value, ...
    std::string body;
    bool keep_alive = false;
    bool expects_continue = false;
    bool chunked = false;
    std::uint64_t content_length = 0;
    bool operator==(const request_seen&) const = default;
};

struct connection_seen {
    std::vector<request_seen> requests;
    bool failed = false;
    std::string leftover;
};

// Plays a connection: receives `input` in reads of `step` bytes (0: all at once).
class reader {
public:
    reader(std::string_view input, std::size_t step, std::size_t max_data)
        : input_(input), step_(step == 0 ? input.size() : step), max_data_(max_data) {}

    connection_seen run(http_request_parser& parser) {
        connection_seen seen;
        for (int i = 0; i < max_requests && !seen.failed; ++i) {
            request_seen r;
            seen.failed = !read_head(parser) || !read_body(parser, r);
            if (seen.failed || !parser.done()) {
                break;
            }
            record_head(parser, r);
            seen.requests.push_back(std::move(r));
            if (!parser.keep_alive() || (buf_.empty() && pos_ == input_.size())) {
                break;
            }
            parser.reset();
        }
        if (!seen.failed) {
            seen.leftover =
                std::string(buf_.begin(), buf_.end()) + std::string(input_.substr(pos_));
        }
        return seen;
    }

private:
    bool receive() {
        if (pos_ == input_.size()) {
            return false;
        }
        const std::size_t n = std::min(step_, input_.size() - pos_);
        std::vector<char> grown(buf_.begin(), buf_.end());
        grown.insert(grown.end(), input_.begin() + pos_, input_.begin() + pos_ + n);
        buf_ = std::move(grown);
        pos_ += n;
        return true;
    }

    void drop(std::size_t n) {
        check(n <= buf_.size());
        buf_ = std::vector<char>(buf_.begin() + static_cast<std::ptrdiff_t>(n), buf_.end());
    }

    std::span<const std::byte> bytes() const { return std::as_bytes(std::span(buf_)); }

    // False on an error (from feed(), or from finish() at the end of the input).
    bool read_head(http_request_parser& parser) {
        std::error_code ec;
        while (!parser.done()) {
            const std::size_t n = parser.feed(bytes(), ec);
            if (ec) {
                check(n == 0);
                return false;
            }
            drop(n);
            if (n == 0 && !receive()) {
                return !parser.finish();
            }
        }
        return true;
    }

    bool read_body(http_request_parser& parser, request_seen& r) {
        std::error_code ec;
        while (parser.done() && !parser.body_done()) {
            const http_body_piece piece = parser.feed_body(bytes(), ec, max_data_);
            if (ec) {
                return false;
            }
            check(piece.consumed <= buf_.size() && piece.data.size() <= max_data_);
            r.body.append(reinterpret_cast<const char*>(piece.data.data()), piece.data.size());
            drop(piece.consumed);
            if (piece.consumed == 0 && !receive()) {
                return !parser.finish();
            }
        }
        return true;
    }

    // After the body was read and its bytes dropped: the head's views must still be valid.
    static void record_head(http_request_parser& parser, request_seen& r) {
        const auto& head = parser.head();
        for (const auto& v : head.vars) {
            r.vars.emplace_back(v.key);
            r.vars.emplace_back(v.value);
        }
        r.keep_alive = parser.keep_alive();
        r.expects_continue = parser.expects_continue();
        r.chunked = head.chunked;
        r.content_length = head.content_length;
        check(!r.chunked || r.content_length == 0);
        check(r.chunked || r.body.size() == r.content_length);
        parser.add_var("REMOTE_ADDR", "127.0.0.1");
        check(parser.head().find("REMOTE_ADDR") == "127.0.0.1");
    }

    std::string_view input_;
    std::size_t step_;
    std::size_t max_data_;
    std::size_t pos_ = 0;
    std::vector<char> buf_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const bool small = (data[0] & 0x80) != 0;
    const std::size_t step = data[0] & 0x7f;
    const std::size_t cap = data[1] & 0x7f;
    const std::size_t max_data = cap == 0 ? std::numeric_limits<std::size_t>::max() : cap;
    const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
    http_limits limits;
    if (small) {
        limits.max_head = 256;
        limits.max_body = 64;
    }

    http_request_parser split_parser(limits);
    const connection_seen split = reader(input, step, max_data).run(split_parser);
    http_request_parser whole_parser(limits);
    const connection_seen whole =
        reader(input, 0, std::numeric_limits<std::size_t>::max()).run(whole_parser);
    // Beast may refuse a head seen whole that, cut, only ends at EOF as truncated: both fail,
    // so compare only the connections where neither did.
    if (!split.failed && !whole.failed) {
        check(split.requests == whole.requests && split.leftover == whole.leftover);
    }
    return 0;
}
