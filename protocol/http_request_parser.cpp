#include "protocol/http_request_parser.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "protocol/errc.hpp"
#include "protocol/http_head_builder.hpp"

namespace gantry::protocol {
namespace {

namespace http = boost::beast::http;
using beast_error = boost::beast::error_code;
using beast_view = boost::beast::string_view;

std::string_view std_view(beast_view s) noexcept {
    return {s.data(), s.size()};
}

// Beast says bad_version both for "HTTP/2.0" and for a request line that does not end in
// "HTTP/d.d" CRLF (a bare LF, say): only the first is a 505, the rest are 400s.
bool names_other_version(std::span<const std::byte> request_line) noexcept {
    std::string_view s(reinterpret_cast<const char*>(request_line.data()), request_line.size());
    s = s.substr(0, s.find_first_of("\r\n"));
    const std::string_view v = s.substr(std::min(s.size(), s.rfind(' ') + 1));
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return v.size() == 8 && v.starts_with("HTTP/") && digit(v[5]) && v[6] == '.' && digit(v[7]) &&
           v != "HTTP/1.0" && v != "HTTP/1.1";
}

std::optional<std::uint64_t> std_optional(const boost::optional<std::uint64_t>& v) noexcept {
    return v ? std::optional<std::uint64_t>(*v) : std::nullopt;
}

// Beast 1.74 takes an obs-fold (a line starting with SP or HT) as part of the line before;
// RFC 9112 5.2 lets a server refuse it with a 400, as nginx does, since a front that does
// not unfold reads the head otherwise ("Transfer-Encoding:\r\n chunked"). `lines` are whole
// lines Beast consumed (a folded line with the one it continues), so no CRLF inside them may
// be followed by SP or HT. memchr finds the few CRs of a head; nothing else is looked at.
// Beast refuses a bare CR itself; one is still caught here, where it costs nothing, so that
// this check does not depend on that.
std::error_code check_line_endings(std::span<const std::byte> lines, bool first) noexcept {
    const char* p = reinterpret_cast<const char*>(lines.data());
    const char* const end = p + lines.size();
    // Not reachable through Beast, which consumes a field only with its continuation; kept so
    // that a fold split across two calls could not pass unseen.
    if (!first && p != end && (*p == ' ' || *p == '\t')) {
        return errc::http_obs_fold;
    }
    while ((p = static_cast<const char*>(std::memchr(p, '\r', end - p))) != nullptr) {
        if (end - p < 2 || p[1] != '\n') {
            return errc::http_bare_cr;
        }
        if (end - p > 2 && (p[2] == ' ' || p[2] == '\t')) {
            return errc::http_obs_fold;
        }
        p += 2;
    }
    return {};
}

}  // namespace

// Beast does the syntax (request line, header lines, chunked framing); the head builder
// the meaning; this class the stepping, the limits and the error codes.
class http_request_parser::impl {
public:
    explicit impl(http_limits limits) : limits_(limits) { reset(); }

    std::size_t feed(std::span<const std::byte> data, std::error_code& ec);
    http_body_piece feed_body(std::span<const std::byte> data, std::error_code& ec,
                              std::size_t max_data);
    std::error_code finish() const noexcept;
    void reset();

    http_head_builder builder_;
    bool done_ = false;
    bool body_done_ = false;
    bool keep_alive_ = false;

private:
    // Forwards Beast's callbacks; an error the impl returns stops put().
    class beast_parser final : public http::basic_parser<true> {
    public:
        // Not boost::none: Beast 1.74 tests `len_ > body_limit_` on the optional, and none
        // compares below every length, so no limit would refuse every Content-Length.
        explicit beast_parser(impl& owner) : owner_(owner) {
            body_limit(std::numeric_limits<std::uint64_t>::max());
        }

    private:
        void on_request_impl(http::verb, beast_view method, beast_view target, int version,
                             beast_error& ec) override {
            check(owner_.builder_.on_request(std_view(method), std_view(target), version), ec);
        }
        void on_response_impl(int, beast_view, int, beast_error&) override {}
        void on_field_impl(http::field, beast_view name, beast_view value,
                           beast_error& ec) override {
            if (!is_header_done()) {  // else a trailer: the WSGI app never sees them
                check(owner_.builder_.on_field(std_view(name), std_view(value)), ec);
            }
        }
        void on_header_impl(beast_error& ec) override {
            owner_.keep_alive_ = keep_alive();
            const auto max_body = owner_.limits_.max_body;
            check(
                owner_.builder_.on_header_end(std_optional(content_length()), chunked(), max_body),
                ec);
            // Chunk sizes count against --limit-post as they arrive (a Content-Length was
            // checked whole above); setting it before any body octet is allowed.
            if (!ec && max_body) {
                body_limit(*max_body);
            }
        }
        void on_body_init_impl(const boost::optional<std::uint64_t>&, beast_error&) override {}
        std::size_t on_body_impl(beast_view body, beast_error&) override {
            return owner_.take_piece(body);
        }
        void on_chunk_header_impl(std::uint64_t, beast_view, beast_error&) override {}
        std::size_t on_chunk_body_impl(std::uint64_t, beast_view body, beast_error&) override {
            return owner_.take_piece(body);
        }
        void on_finish_impl(beast_error&) override {}

        void check(std::error_code mine, beast_error& ec) {
            if (mine) {
                owner_.error_ = mine;
                ec = http::error::bad_value;  // stops put(); error_ says why
            }
        }

        impl& owner_;
    };

    std::size_t put(std::span<const std::byte> data, beast_error& ec) {
        return beast_->put(boost::beast::net::const_buffer(data.data(), data.size()), ec);
    }
    std::size_t take_piece(beast_view body) noexcept;
    std::error_code head_error(const beast_error& ec,
                               std::span<const std::byte> data) const noexcept;

    http_limits limits_;
    std::optional<beast_parser> beast_;
    std::error_code error_;
    std::size_t head_bytes_ = 0;  // consumed by the head so far, leading CR/LF excepted
    bool got_bytes_ = false;      // a byte of a request line arrived
    std::size_t max_piece_ = 0;
    std::span<const std::byte> piece_;
};

std::size_t http_request_parser::impl::feed(std::span<const std::byte> data, std::error_code& ec) {
    ec = error_;
    if (error_ || done_) {
        return 0;
    }
    // RFC 9112 2.2: a server SHOULD ignore at least one empty line (CRLF) before a
    // request-line (some clients send one after a POST body). Only whole CRLF pairs: a
    // lone CR or LF there goes to Beast, which refuses it as a method.
    std::size_t skipped = 0;
    while (!got_bytes_ && skipped < data.size() && data[skipped] == std::byte{'\r'}) {
        if (skipped + 1 == data.size()) {
            return skipped;  // the LF may be on its way
        }
        if (data[skipped + 1] != std::byte{'\n'}) {
            break;
        }
        skipped += 2;
    }
    data = data.subspan(skipped);
    if (data.empty()) {
        return skipped;
    }
    got_bytes_ = true;
    // The limit is ours to keep: Beast 1.74 forgets the lines earlier calls consumed, lets
    // the request line in on top, and once it has clamped a resumed search to its limit
    // answers "need more" for ever. Its own limit is only set to stop it scanning further.
    const std::size_t left = limits_.max_head - std::min(head_bytes_, limits_.max_head);
    beast_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(left, UINT32_MAX)));
    beast_error bec;
    const std::size_t n = put(data, bec);
    const std::size_t seen = head_bytes_ + data.size();  // all of it is head until its end
    if (bec == http::error::need_more) {
        // max_head bytes and no end yet: the head will be longer than max_head.
        bec = seen >= limits_.max_head ? http::error::header_limit : beast_error{};
    }
    if (!error_ && !bec) {  // "need more" may come with whole lines consumed
        error_ = check_line_endings(data.first(n), head_bytes_ == 0);
    }
    head_bytes_ += n;
    if (!error_ && !bec && beast_->is_header_done() && head_bytes_ > limits_.max_head) {
        bec = http::error::header_limit;
    }
    if (error_ || bec) {
        error_ = error_ ? error_ : head_error(bec, data);
        ec = error_;
        return 0;
    }
    if (beast_->is_header_done()) {
        done_ = true;
        body_done_ = beast_->is_done();
    }
    return skipped + n;
}

std::error_code http_request_parser::impl::head_error(
    const beast_error& ec, std::span<const std::byte> data) const noexcept {
    // Beast checks the framing headers before on_field sees them: the flags say which
    // earlier header the failing one conflicts with.
    if (ec == http::error::header_limit) {
        return errc::http_header_too_large;
    }
    if (ec == http::error::bad_version) {
        // Beast consumes nothing of a request line it refuses: `data` starts with it.
        return names_other_version(data) ? errc::http_unsupported_version : errc::http_bad_request;
    }
    if (ec == http::error::bad_content_length) {
        return builder_.saw_transfer_encoding() ? errc::http_content_length_with_chunked
                                                : errc::bad_content_length;
    }
    if (ec == http::error::bad_transfer_encoding) {
        return builder_.saw_content_length() ? errc::http_content_length_with_chunked
                                             : errc::http_unsupported_transfer_encoding;
    }
    return errc::http_bad_request;
}

std::size_t http_request_parser::impl::take_piece(beast_view body) noexcept {
    // Beast is not eager: one put() delivers at most one piece, so piece_ is this call's.
    const std::size_t n = std::min(body.size(), max_piece_);
    piece_ = std::as_bytes(std::span(body.data(), n));
    return n;
}

http_body_piece http_request_parser::impl::feed_body(std::span<const std::byte> data,
                                                     std::error_code& ec, std::size_t max_data) {
    ec = error_;
    if (error_ || !done_ || body_done_ || data.empty() || max_data == 0) {
        return {};
    }
    piece_ = {};
    max_piece_ = max_data;
    beast_error bec;
    const std::size_t n = put(data, bec);
    if (bec == http::error::need_more) {
        bec = {};
        // Nothing taken from more than a head's worth of bytes: a chunk-size line or a
        // trailer section that long is an attack on the caller's buffer, not a request.
        if (n == 0 && data.size() > limits_.max_head) {
            bec = http::error::bad_chunk;
        }
    }
    if (bec) {
        error_ = bec == http::error::body_limit ? errc::http_body_too_large : errc::http_bad_chunk;
        ec = error_;
        return {};
    }
    body_done_ = beast_->is_done();
    return {n, piece_};
}

std::error_code http_request_parser::impl::finish() const noexcept {
    if (error_) {
        return error_;
    }
    if (!done_) {
        return got_bytes_ ? errc::http_truncated_head : std::error_code{};
    }
    return body_done_ ? std::error_code{} : errc::http_truncated_body;
}

void http_request_parser::impl::reset() {
    beast_.emplace(*this);  // a Beast parser parses one message
    builder_.reset();
    error_.clear();
    done_ = body_done_ = keep_alive_ = got_bytes_ = false;
    head_bytes_ = 0;
    piece_ = {};
}

// --- the public face ----------------------------------------------------------------------

http_request_parser::http_request_parser(http_limits limits)
    : impl_(std::make_unique<impl>(limits)) {}
http_request_parser::~http_request_parser() = default;
http_request_parser::http_request_parser(http_request_parser&&) noexcept = default;
http_request_parser& http_request_parser::operator=(http_request_parser&&) noexcept = default;

std::size_t http_request_parser::feed(std::span<const std::byte> data, std::error_code& ec) {
    return impl_->feed(data, ec);
}
bool http_request_parser::done() const noexcept {
    return impl_->done_;
}
const request_head& http_request_parser::head() const noexcept {
    return impl_->builder_.head();
}
void http_request_parser::add_var(std::string_view key, std::string_view value) {
    impl_->builder_.add_var(key, value);
}
void http_request_parser::add_lasting_var(std::string_view key, std::string_view value) {
    impl_->builder_.add_lasting_var(key, value);
}
bool http_request_parser::keep_alive() const noexcept {
    return impl_->keep_alive_;
}
bool http_request_parser::expects_continue() const noexcept {
    return impl_->builder_.expects_continue();
}
http_body_piece http_request_parser::feed_body(std::span<const std::byte> data, std::error_code& ec,
                                               std::size_t max_data) {
    return impl_->feed_body(data, ec, max_data);
}
bool http_request_parser::body_done() const noexcept {
    return impl_->body_done_;
}
std::error_code http_request_parser::finish() const noexcept {
    return impl_->finish();
}
void http_request_parser::reset() {
    impl_->reset();
}

}  // namespace gantry::protocol
