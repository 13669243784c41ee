// How much the log says: every line has a level, and --log-level names the lowest one
// written. Plain names both ways, so the option table can parse and print them.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace gantry::server::log {

enum class level { debug, info, warning, error };

inline constexpr std::array<std::string_view, 4> level_names = {"debug", "info", "warning",
                                                                "error"};

constexpr std::string_view name_of(level l) {
    return level_names.at(static_cast<std::size_t>(l));
}

// The level called `name`, or nothing for any other word.
constexpr std::optional<level> level_named(std::string_view name) {
    for (std::size_t i = 0; i < level_names.size(); ++i) {
        if (level_names[i] == name) {
            return static_cast<level>(i);
        }
    }
    return std::nullopt;
}

}  // namespace gantry::server::log
