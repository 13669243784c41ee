#include "protocol/request_parser.hpp"

#include <charconv>

#include "protocol/errc.hpp"

namespace gantry::protocol {
namespace {

std::uint16_t read_u16le(const std::byte* p) noexcept {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                      (std::to_integer<unsigned>(p[1]) << 8));
}

std::string_view view_of(const std::byte* p, std::size_t n) noexcept {
    return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

std::size_t request_parser::feed(std::span<const std::byte> data, std::error_code& ec) {
    ec.clear();
    if (done_) {
        return 0;
    }
    if (head_size_ == 0) {
        ec = check_header(data);
        if (ec || head_size_ == 0) {
            return 0;
        }
    }
    if (data.size() < head_size_) {
        return 0;
    }
    ec = parse_vars(data.subspan(header_size, head_size_ - header_size));
    if (!ec) {
        ec = parse_content_length();
    }
    if (ec) {
        return 0;
    }
    done_ = true;
    return head_size_;
}

// Checks what is there of the 4-byte header, so that a wrong modifier or an oversize block
// is refused without waiting for bytes that will never be accepted.
std::error_code request_parser::check_header(std::span<const std::byte> data) {
    if (!data.empty() && data[0] != std::byte{0}) {
        return errc::unsupported_modifier;
    }
    if (data.size() < 3) {
        return {};
    }
    const std::size_t datasize = read_u16le(&data[1]);
    if (datasize > max_vars_) {
        return errc::vars_too_large;
    }
    if (data.size() < header_size) {
        return {};
    }
    head_.modifier1 = std::to_integer<std::uint8_t>(data[0]);
    head_.modifier2 = std::to_integer<std::uint8_t>(data[3]);
    head_size_ = header_size + datasize;
    return {};
}

std::error_code request_parser::parse_vars(std::span<const std::byte> block) {
    const std::byte* p = block.data();
    const std::byte* const end = p + block.size();
    while (p != end) {
        if (end - p < 2) {
            return errc::truncated_key;
        }
        const std::size_t key_len = read_u16le(p);
        p += 2;
        if (key_len == 0) {
            return errc::empty_key;
        }
        if (static_cast<std::size_t>(end - p) < key_len) {
            return errc::truncated_key;
        }
        const std::string_view key = view_of(p, key_len);
        p += key_len;
        if (end - p < 2) {
            return errc::truncated_value;
        }
        const std::size_t value_len = read_u16le(p);
        p += 2;
        if (static_cast<std::size_t>(end - p) < value_len) {
            return errc::truncated_value;
        }
        head_.vars.push_back({key, view_of(p, value_len)});
        p += value_len;
    }
    return {};
}

// nginx sends CONTENT_LENGTH empty when the request has no body; anything but a plain
// decimal number (sign, spaces, overflow) would let the body framing be argued about.
std::error_code request_parser::parse_content_length() {
    const auto value = head_.find("CONTENT_LENGTH");
    head_.content_length = 0;
    if (!value || value->empty()) {
        return {};
    }
    const char* first = value->data();
    const char* last = first + value->size();
    if (*first < '0' || *first > '9') {
        return errc::bad_content_length;
    }
    const auto [ptr, ec] = std::from_chars(first, last, head_.content_length);
    if (ec != std::errc{} || ptr != last) {
        return errc::bad_content_length;
    }
    return {};
}

std::error_code request_parser::finish() const noexcept {
    if (done_) {
        return {};
    }
    return head_size_ == 0 ? errc::truncated_header : errc::truncated_vars;
}

void request_parser::reset() noexcept {
    head_size_ = 0;
    done_ = false;
    head_.vars.clear();
    head_.content_length = 0;
    head_.modifier1 = head_.modifier2 = 0;
}

}  // namespace gantry::protocol
