#include "protocol/response_head.hpp"

#include <array>

#include "protocol/errc.hpp"

namespace gantry::protocol {
namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. A table, because every header name of every
// response goes through it.
constexpr std::array<bool, 256> tchar_table = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
        t[static_cast<unsigned char>(c)] = true;
    }
    return t;
}();

bool is_tchar(char c) noexcept {
    return tchar_table[static_cast<unsigned char>(c)];
}

// RFC 9110 5.5: field-value bytes are VCHAR, SP, HTAB and obs-text (0x80-0xFF). CR, LF and
// NUL would split the response; the other controls (ESC, DEL...) are refused too, as
// recipients may treat them as any of those, or pass them to a terminal.
constexpr std::array<bool, 256> value_table = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        t[c] = c == '\t' || (c >= 0x20 && c != 0x7f);
    }
    return t;
}();

}  // namespace

bool response_head::valid_status(std::string_view status) noexcept {
    // PEP 3333: "a status code and a reason phrase, in that order and separated by a
    // single space, with no surrounding whitespace or other characters".
    if (status.size() < 5 || !is_digit(status[0]) || !is_digit(status[1]) || !is_digit(status[2]) ||
        status[3] != ' ') {
        return false;
    }
    // A final status: 1xx ones are interim (the client would take the next response for
    // this one's), and RFC 9110 15 defines no class above 5xx.
    if (status[0] < '2' || status[0] > '5') {
        return false;
    }
    const std::string_view reason = status.substr(4);
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    return !is_space(reason.front()) && !is_space(reason.back()) && valid_value(reason);
}

bool response_head::valid_name(std::string_view name) noexcept {
    if (name.empty()) {
        return false;
    }
    for (char c : name) {
        if (!is_tchar(c)) {
            return false;
        }
    }
    return true;
}

bool response_head::valid_value(std::string_view value) noexcept {
    for (char c : value) {  // a table: every value of every response goes through it
        if (!value_table[static_cast<unsigned char>(c)]) {
            return false;
        }
    }
    return true;
}

std::error_code response_head::start(std::string_view protocol, std::string_view status) {
    buf_.clear();
    status_code_ = 0;
    fields_ = 0;
    if (!valid_status(status)) {
        return errc::invalid_status;
    }
    status_code_ = (status[0] - '0') * 100 + (status[1] - '0') * 10 + (status[2] - '0');
    buf_.append(protocol).append(" ").append(status).append("\r\n");
    return {};
}

std::error_code response_head::add(std::string_view name, std::string_view value) {
    if (!valid_name(name) || !valid_value(value)) {
        return errc::invalid_header;
    }
    buf_.append(name).append(": ").append(value).append("\r\n");
    ++fields_;
    return {};
}

std::string_view response_head::finish() {
    buf_.append("\r\n");
    return buf_;
}

}  // namespace gantry::protocol
