#include "protocol/request_start.hpp"

namespace gantry::protocol {
namespace {

// Digits only, at most 18 of them (no overflow); nothing for anything else.
std::optional<std::int64_t> digits(std::string_view s) noexcept {
    if (s.empty() || s.size() > 18) {
        return std::nullopt;
    }
    std::int64_t n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + (c - '0');
    }
    return n;
}

}  // namespace

std::optional<std::int64_t> request_start_us(std::string_view value) noexcept {
    if (value.starts_with("t=")) {
        value.remove_prefix(2);
    }
    const auto dot = value.find('.');
    if (dot != std::string_view::npos) {
        const auto seconds = digits(value.substr(0, dot));
        std::string_view fraction = value.substr(dot + 1);
        if (!seconds || *seconds > 99'999'999'999 || fraction.empty()) {
            return std::nullopt;
        }
        fraction = fraction.substr(0, 6);  // finer than a microsecond is dropped
        auto micros = digits(fraction);
        if (!micros) {
            return std::nullopt;
        }
        for (std::size_t i = fraction.size(); i < 6; ++i) {
            *micros *= 10;
        }
        return *seconds * 1'000'000 + *micros;
    }
    const auto n = digits(value);
    if (!n) {
        return std::nullopt;
    }
    // Seconds have 10 digits until 2286; milliseconds 13, microseconds 16.
    if (value.size() >= 16) {
        return *n;
    }
    if (value.size() >= 13) {
        return *n * 1000;
    }
    return *n * 1'000'000;
}

}  // namespace gantry::protocol
