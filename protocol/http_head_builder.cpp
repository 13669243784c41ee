#include "protocol/http_head_builder.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "protocol/ascii.hpp"
#include "protocol/errc.hpp"
#include "protocol/http_cgi.hpp"

namespace gantry::protocol {
namespace {

// The headers that are more than an HTTP_* var.
enum class header_kind { other, host, content_length, content_type, transfer_encoding, expect };

header_kind kind_of(std::string_view name) noexcept {
    static constexpr std::pair<std::string_view, header_kind> kinds[] = {
        {"host", header_kind::host},
        {"content-length", header_kind::content_length},
        {"content-type", header_kind::content_type},
        {"transfer-encoding", header_kind::transfer_encoding},
        {"expect", header_kind::expect},
    };
    for (const auto& [lower, kind] : kinds) {
        if (iequals_ascii(name, lower)) {
            return kind;
        }
    }
    return header_kind::other;
}

}  // namespace

std::error_code http_head_builder::on_request(std::string_view method, std::string_view target,
                                              int version) {
    version_ = version;
    method_ = arena_.store(method);
    const auto parts = split_target(target);
    if (!parts) {
        return errc::http_bad_request;
    }
    authority_ = arena_.store(parts->authority);
    const std::string_view origin = parts->origin;
    uri_ = origin.empty() || origin.front() == '?' ? arena_.store({"/", origin})
                                                   : arena_.store(origin);
    return {};
}

std::error_code http_head_builder::on_field(std::string_view name, std::string_view value) {
    // nginx's default (underscores_in_headers off): "X_Forwarded_For" would otherwise
    // become the same HTTP_X_FORWARDED_FOR as the header a proxy in front vouches for.
    if (name.find('_') != std::string_view::npos) {
        return {};
    }
    switch (kind_of(name)) {
        case header_kind::host:
            if (++host_count_ > 1) {
                return errc::http_bad_host;  // RFC 9112 3.2: a 400
            }
            host_ = arena_.store(value);
            break;
        case header_kind::content_length:
            // CONTENT_LENGTH comes from Beast's checked value; never HTTP_CONTENT_LENGTH.
            saw_content_length_ = true;
            return {};
        case header_kind::content_type:
            // Not a list: the first wins, as in nginx; never HTTP_CONTENT_TYPE (PEP 3333).
            if (!content_type_) {
                content_type_ = arena_.store(value);
            }
            return {};
        case header_kind::transfer_encoding:
            saw_transfer_encoding_ = true;
            // RFC 9112 6.1: only a final "chunked" frames a request, and an HTTP/1.0
            // message with Transfer-Encoding has faulty framing; we decode nothing else.
            if (version_ < 11 || !iequals_ascii(trim_ows(value), "chunked")) {
                return errc::http_unsupported_transfer_encoding;
            }
            break;
        case header_kind::expect:
            expect_continue_ = version_ >= 11 && iequals_ascii(trim_ows(value), "100-continue");
            break;
        case header_kind::other:
            break;
    }
    scratch_.clear();
    append_cgi_key(name, scratch_);
    headers_.push_back({arena_.store(scratch_), arena_.store(value)});
    return {};
}

std::error_code http_head_builder::on_header_end(std::optional<std::uint64_t> content_length,
                                                 bool chunked,
                                                 std::optional<std::uint64_t> max_body) {
    http_host server;
    if (const std::error_code ec = check_host(server)) {
        return ec;
    }
    const auto [path, query] = split_query(uri_);
    scratch_.clear();
    if (!percent_decode(path, scratch_)) {
        return errc::http_nul_in_path;
    }
    remove_dot_segments(scratch_);
    // In the order nginx's uwsgi_params sends them.
    auto& vars = head_.vars;
    vars.push_back({"QUERY_STRING", query});
    vars.push_back({"REQUEST_METHOD", method_});
    if (content_type_) {
        vars.push_back({"CONTENT_TYPE", *content_type_});
    }
    if (content_length) {
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, *content_length).ptr;
        vars.push_back({"CONTENT_LENGTH", arena_.store({std::string_view(digits, end - digits)})});
    }
    vars.push_back({"REQUEST_URI", uri_});
    vars.push_back({"PATH_INFO", arena_.store(scratch_)});
    vars.push_back({"SERVER_PROTOCOL", version_ >= 11 ? "HTTP/1.1" : "HTTP/1.0"});
    if (!server.port.empty()) {
        vars.push_back({"SERVER_PORT", server.port});
    }
    if (!server.name.empty()) {
        vars.push_back({"SERVER_NAME", server.name});
    }
    add_header_vars();
    head_.content_length = content_length.value_or(0);
    head_.chunked = chunked;
    // Refused only now, with the head complete for the log line; before any 100 Continue.
    if (content_length && max_body && *content_length > *max_body) {
        return errc::http_body_too_large;
    }
    return {};
}

// RFC 9112 3.2: an HTTP/1.1 request without a Host is a 400 (a repeated one was refused as
// it came). The Host is checked even when an absolute-form target names the server, as it
// still becomes HTTP_HOST; and 3.2.2 would have us ignore a Host that names another host
// than the target, but apps read HTTP_HOST, so such a request is refused instead.
std::error_code http_head_builder::check_host(http_host& server) const {
    if (version_ >= 11 && host_count_ == 0 && authority_.empty()) {
        return errc::http_bad_host;
    }
    const auto host = split_host(host_);
    if (!host) {
        return errc::http_bad_host;
    }
    server = *host;
    if (authority_.empty()) {
        return {};
    }
    const auto target = split_host(authority_);
    if (!target || target->name.empty()) {
        return errc::http_bad_host;
    }
    if (host_count_ > 0 &&
        (!iequals_ascii(host->name, target->name) || host->port != target->port)) {
        return errc::http_host_mismatch;
    }
    server = *target;
    return {};
}

// One var per header name, in the order each name first came: repeated lines joined with
// ", " (RFC 9110 5.3), Cookie with "; " (RFC 6265 5.4), as nginx >= 1.23 does.
void http_head_builder::add_header_vars() {
    order_.resize(headers_.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    // Equal names stay in arrival order through the index, as a stable sort would keep them,
    // without the buffer std::stable_sort allocates on every call.
    std::sort(order_.begin(), order_.end(), [this](std::size_t a, std::size_t b) {
        const int c = headers_[a].key.compare(headers_[b].key);
        return c < 0 || (c == 0 && a < b);
    });
    joined_.clear();
    for (std::size_t i = 0; i < order_.size();) {
        const var& first = headers_[order_[i]];
        std::size_t j = i + 1;
        while (j < order_.size() && headers_[order_[j]].key == first.key) {
            ++j;
        }
        var v = first;
        if (j - i > 1) {
            const std::string_view separator = first.key == "HTTP_COOKIE" ? "; " : ", ";
            scratch_.assign(first.value);
            for (std::size_t k = i + 1; k < j; ++k) {
                scratch_.append(separator).append(headers_[order_[k]].value);
            }
            v.value = arena_.store(scratch_);
        }
        joined_.emplace_back(order_[i], v);
        i = j;
    }
    std::sort(joined_.begin(), joined_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [index, v] : joined_) {
        head_.vars.push_back(v);
    }
}

void http_head_builder::reset() noexcept {
    arena_.clear();
    head_.vars.clear();
    head_.content_length = 0;
    head_.chunked = false;
    headers_.clear();
    version_ = host_count_ = 0;
    method_ = uri_ = authority_ = host_ = {};
    content_type_.reset();
    saw_content_length_ = saw_transfer_encoding_ = expect_continue_ = false;
}

}  // namespace gantry::protocol
