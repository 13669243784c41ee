// Gantry's log: one line per event on stderr, "[time] [pid N] level: message", written
// with a single write() so that lines from the master and the workers never interleave.
#pragma once

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace gantry::server::log {

enum class level { debug, info, warning, error };

void set_level(level lowest);
bool enabled(level l) noexcept;
void write(level l, std::string_view message) noexcept;

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
