#include "protocol/forwarded.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "protocol/ascii.hpp"

namespace gantry::protocol {
namespace {

// After the last comma, OWS trimmed.
std::string_view last_element(std::string_view list) noexcept {
    const std::size_t comma = list.rfind(',');
    return trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

}  // namespace

std::optional<std::string_view> forwarded_client(std::string_view x_forwarded_for) noexcept {
    const std::string_view candidate = last_element(x_forwarded_for);
    // inet_pton needs a terminated string; the longest IPv6 text is 45 characters.
    std::array<char, 48> text{};
    if (candidate.empty() || candidate.size() >= text.size()) {
        return std::nullopt;
    }
    std::memcpy(text.data(), candidate.data(), candidate.size());
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(AF_INET, text.data(), bytes.data()) == 1 ||
        inet_pton(AF_INET6, text.data(), bytes.data()) == 1) {
        return candidate;
    }
    return std::nullopt;
}

forwarded_scheme forwarded_proto(std::string_view value) noexcept {
    const std::string_view scheme = last_element(value);
    if (iequals_ascii(scheme, "https")) {
        return forwarded_scheme::https;
    }
    if (iequals_ascii(scheme, "http")) {
        return forwarded_scheme::http;
    }
    return forwarded_scheme::unknown;
}

}  // namespace gantry::protocol
