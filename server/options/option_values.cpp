#include "server/options/option_values.hpp"

#include <fmt/format.h>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace gantry::server {
namespace {

// The number at the start of `v` and what follows it.
std::pair<unsigned long long, std::string_view> leading_number(std::string_view v) {
    unsigned long long n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc{} || ptr == v.data()) {
        throw std::invalid_argument("no number");
    }
    return {n, v.substr(static_cast<std::size_t>(ptr - v.data()))};
}

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

long long parse_number(std::string_view v, long long min, long long max) {
    long long n = 0;
    const char* last = v.data() + v.size();
    const auto [ptr, ec] = std::from_chars(v.data(), last, n);
    if (v.empty() || ec != std::errc{} || ptr != last || n < min || n > max) {
        throw std::invalid_argument(fmt::format("expected a whole number from {} to {}", min, max));
    }
    return n;
}

std::uint64_t parse_size(std::string_view v, std::uint64_t max) {
    const auto expected = [max] {
        return std::invalid_argument(
            max < (1 << 20)
                ? fmt::format("expected a size in bytes up to {} (e.g. 32768, 32k)", max)
                : fmt::format("expected a size in bytes up to {} (e.g. 65536, 64k, 10m)", max));
    };
    try {
        const auto [n, unit] = leading_number(v);
        unsigned shift = 0;
        if (unit.size() == 1) {
            const char u = lower(unit[0]);
            shift = u == 'k' ? 10 : u == 'm' ? 20 : u == 'g' ? 30 : 99;
        } else if (!unit.empty()) {
            shift = 99;
        }
        if (shift == 99 || n > (max >> shift)) {
            throw expected();
        }
        return n << shift;
    } catch (const std::invalid_argument&) {
        throw expected();
    }
}

long long parse_duration(std::string_view v, long long max_seconds) {
    const auto expected = [max_seconds] {
        return std::invalid_argument(
            fmt::format("expected a duration up to {} s (e.g. 30, 30s, 5m, 1h)", max_seconds));
    };
    try {
        const auto [n, unit] = leading_number(v);
        long long scale = 0;
        if (unit.empty() || unit == "s") {
            scale = 1;
        } else if (unit == "m") {
            scale = 60;
        } else if (unit == "h") {
            scale = 3600;
        } else if (unit == "d") {
            scale = 86400;
        }
        if (scale == 0 || n > static_cast<unsigned long long>(max_seconds / scale)) {
            throw expected();
        }
        return static_cast<long long>(n) * scale;
    } catch (const std::invalid_argument&) {
        throw expected();
    }
}

int parse_mode(std::string_view v) {
    int mode = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), mode, 8);
    if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size() || mode > 0777) {
        throw std::invalid_argument("expected an octal mode such as 660 or 666");
    }
    return mode;
}

bool parse_bool(std::string_view v) {
    std::string low;
    for (char c : v) {
        low += lower(c);
    }
    if (low == "true" || low == "yes" || low == "on" || low == "1") {
        return true;
    }
    if (low == "false" || low == "no" || low == "off" || low == "0") {
        return false;
    }
    throw std::invalid_argument("expected true or false");
}

}  // namespace gantry::server
