// Gantry's log: one line per event on stderr, "[time] [pid N] level: message", or with
// --log-format json one JSON object per line. Each line is a single write(), so lines from
// the master and the workers never interleave.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <utility>

namespace gantry::server::log {

enum class level { debug, info, warning, error };

struct settings {
    bool json = false;
    bool requests = true;  // one line per request (--disable-logging turns it off)
};

// Set once in main(), before any thread or fork.
void configure(const settings& s);
bool enabled(level l) noexcept;
void write(level l, std::string_view message) noexcept;

// A served request, as one line: in JSON each field is its own key.
struct request_line {
    int worker;
    std::string_view remote;
    std::string_view method;
    std::string_view uri;
    int status;
    std::uint64_t bytes;
    double millis;
};
void request(const request_line& r) noexcept;
// Whether request() writes anything: lets the hot path skip gathering its fields.
bool requests_enabled() noexcept;

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::debug)) {
        write(level::debug, fmt::format(f, std::forward<Args>(args)...));
    }
}

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::info)) {
        write(level::info, fmt::format(f, std::forward<Args>(args)...));
    }
}

template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::warning)) {
        write(level::warning, fmt::format(f, std::forward<Args>(args)...));
    }
}

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::error)) {
        write(level::error, fmt::format(f, std::forward<Args>(args)...));
    }
}

}  // namespace gantry::server::log
