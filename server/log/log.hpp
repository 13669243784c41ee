// Gantry's log: one line per event on stderr, "[time] [pid N] level: message", or with
// --log-style json one JSON object per line. Each line is a single write(), so lines from
// the master and the workers never interleave.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "server/log/level.hpp"

namespace gantry::server::log {

struct settings {
    bool json = false;
    bool requests = true;        // one line per request (--disable-logging turns it off)
    level lowest = level::info;  // --log-level: lines below it are not written
    std::string date_format;     // --log-date FORMAT: strftime for the time; "": the default
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
    bool static_file = false;  // served from --static-map, not by the app: marked in the line
};
// Writes it whatever --disable-logging says (the caller decided); not below --log-level.
void request(const request_line& r) noexcept;
// A request line made from a --log-format template: written as it is (a newline is
// appended to `line`), or with --log-style json as the message of an info line.
void request_text(std::string& line) noexcept;
// Whether every request gets its line (no --disable-logging, info lines written).
bool requests_enabled() noexcept;

// log::info("worker {} ready", id): one function object per level, so the format string
// is checked at compile time and nothing is formatted for a level that is off.
template <level L>
struct at_level {
    template <typename... Args>
    void operator()(fmt::format_string<Args...> f, Args&&... args) const {
        if (enabled(L)) {
            write(L, fmt::format(f, std::forward<Args>(args)...));
        }
    }
};
inline constexpr at_level<level::debug> debug{};
inline constexpr at_level<level::info> info{};
inline constexpr at_level<level::warning> warning{};
inline constexpr at_level<level::error> error{};

}  // namespace gantry::server::log
