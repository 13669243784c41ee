#include "protocol/http_cgi.hpp"

#include <algorithm>
#include <cstddef>

#include "protocol/ascii.hpp"

namespace gantry::protocol {
namespace {

bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digits(std::string_view s) noexcept {
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals_ascii(s.substr(0, prefix.size()), prefix);
}

// RFC 3986 reg-name = *( unreserved / pct-encoded / sub-delims ), which covers IPv4 too.
bool is_reg_name(std::string_view s) noexcept {
    for (char c : s) {
        if (!is_alnum(c) &&
            std::string_view("-._~%!$&'()*+,;=").find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// Inside "[...]": IPv6 (hex, ':', '.'), an RFC 6874 zone ("%25eth0") or IPvFuture ("v1.x").
bool is_ip_literal_body(std::string_view s) noexcept {
    for (char c : s) {
        if (!is_alnum(c) && std::string_view(":.%-_~").find(c) == std::string_view::npos) {
            return false;
        }
    }
    return !s.empty();
}

}  // namespace

std::optional<http_target> split_target(std::string_view target) noexcept {
    if (!target.empty() && target.front() == '/') {
        return http_target{{}, target};
    }
    std::string_view rest;
    if (iequals_prefix(target, "http://")) {
        rest = target.substr(7);
    } else if (iequals_prefix(target, "https://")) {
        rest = target.substr(8);
    } else {
        return std::nullopt;
    }
    const std::size_t end = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, end);
    if (authority.empty()) {
        return std::nullopt;
    }
    return http_target{authority, end == std::string_view::npos ? "" : rest.substr(end)};
}

http_path_query split_query(std::string_view origin) noexcept {
    const std::size_t q = origin.find('?');
    if (q == std::string_view::npos) {
        return {origin, {}};
    }
    return {origin.substr(0, q), origin.substr(q + 1)};
}

bool percent_decode(std::string_view path, std::string& out) {
    int nul = 0;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '%' && i + 2 < path.size()) {
            const int hi = hex_value(path[i + 1]);
            const int lo = hex_value(path[i + 2]);
            if (hi >= 0 && lo >= 0) {
                nul |= static_cast<int>(hi == 0 && lo == 0);
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += path[i];
    }
    return nul == 0;
}

void remove_dot_segments(std::string& path, std::size_t from) {
    // A dot-segment is "." or ".." between slashes (or at the end): each starts with "/.".
    std::size_t read = path.find("/.", from);
    if (read == std::string::npos) {
        return;
    }
    std::size_t write = read;  // path[from, write) is the output so far, dot-free
    while (read < path.size()) {
        // path[read] is '/': the segment runs to the next '/' or the end.
        const std::size_t next = std::min(path.find('/', read + 1), path.size());
        const std::string_view segment(path.data() + read + 1, next - read - 1);
        if (segment == "." || segment == "..") {
            if (segment == ".." && write > from) {
                const std::size_t slash = path.rfind('/', write - 1);  // drop the last segment
                write = slash == std::string::npos || slash < from ? from : slash;
            }
            if (next == path.size()) {
                path[write++] = '/';  // "/a/.." and "/a/." end in a directory: "/"
            }
        } else {
            std::copy(path.begin() + static_cast<std::ptrdiff_t>(read),
                      path.begin() + static_cast<std::ptrdiff_t>(next),
                      path.begin() + static_cast<std::ptrdiff_t>(write));
            write += next - read;
        }
        read = next;
    }
    path.resize(write);
}

std::optional<http_host> split_host(std::string_view value) noexcept {
    if (value.empty()) {
        return http_host{};
    }
    std::string_view name;
    std::string_view rest;
    if (value.front() == '[') {
        const std::size_t close = value.find(']');
        if (close == std::string_view::npos || !is_ip_literal_body(value.substr(1, close - 1))) {
            return std::nullopt;
        }
        name = value.substr(0, close + 1);
        rest = value.substr(close + 1);
    } else {
        const std::size_t colon = value.find(':');
        name = value.substr(0, colon);
        rest = colon == std::string_view::npos ? "" : value.substr(colon);
        if (name.empty() || !is_reg_name(name)) {
            return std::nullopt;
        }
    }
    if (rest.empty()) {
        return http_host{name, {}};
    }
    // RFC 3986 port = *DIGIT: "host:" is valid and names no port.
    const std::string_view port = rest.substr(1);
    if (rest.front() != ':' || port.size() > 5 || !is_digits(port)) {
        return std::nullopt;
    }
    return http_host{name, port};
}

void append_cgi_key(std::string_view header_name, std::string& out) {
    out += "HTTP_";
    for (char c : header_name) {
        if (c == '-') {
            c = '_';
        } else if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        out += c;
    }
}

}  // namespace gantry::protocol
