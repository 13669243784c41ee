// The shared makers of option rows. Each knows how to store and show one kind of value
// (text, list, number, size, duration, flag), so that most rows in a subsystem's rows_*.cpp
// are one call; the section names live here too, in the order --help shows them.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "server/options/option_table.hpp"
#include "server/options/option_values.hpp"

namespace gantry::server::rows {

using shown = std::vector<std::string>;
inline constexpr long long no_limit = std::numeric_limits<long long>::max();

namespace section {
inline constexpr std::string_view app = "Application";
inline constexpr std::string_view net = "Sockets";
inline constexpr std::string_view pool = "Workers";
inline constexpr std::string_view ops = "Operations";
inline constexpr std::string_view meta = "Configuration";
inline constexpr std::string_view compat = "uWSGI compatibility";
}  // namespace section

// The options as they are with nothing given: what `show` leaves out.
const options& defaults();
// A YAML double-quoted scalar.
std::string quoted(std::string_view v);
// Throws std::invalid_argument for an empty value.
void non_empty(std::string_view value);

option_def text(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, std::string options::*f, value_type type = value_type::text);
option_def list(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, std::vector<std::string> options::*f,
                value_type type = value_type::text);
// `min`: the least value accepted (0 where 0 means "off").
option_def duration(std::string_view name, std::string_view section, std::string_view default_text,
                    std::string_view doc, int options::*f, long long max, long long min = 0);
option_def flag(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, bool options::*f);
// A uWSGI option whose behaviour gantry always has: accepted, and nothing to do. `how`
// says how gantry behaves so (its doc line).
option_def always_on(std::string_view name, std::string_view how);
// A uWSGI option accepted for what its file means, though gantry does something else or
// nothing: `note` (what gantry does instead) is logged at start-up and shown by
// --check-config, as a warning when the difference matters.
option_def noted(std::string_view name, value_type type, std::string_view note, bool warning);

// The row with `aliases` (space-separated) given to it.
inline option_def with_aliases(option_def row, std::string_view aliases) {
    row.aliases = aliases;
    return row;
}
// The row with relative paths taken from where gantry started, not from --chdir.
inline option_def from_start_dir(option_def row) {
    row.from_start_dir = true;
    return row;
}

template <typename T>
option_def number(std::string_view name, std::string_view aliases, std::string_view section,
                  std::string_view default_text, std::string_view doc, T options::*f, long long min,
                  long long max) {
    return {name,
            aliases,
            section,
            value_type::number,
            false,
            default_text,
            doc,
            [f, min, max](options& o, std::string_view v) {
                o.*f = static_cast<T>(parse_number(v, min, max));
            },
            [f](const options& o) {
                return o.*f == defaults().*f ? shown{} : shown{fmt::format("{}", o.*f)};
            }};
}

template <typename T>
option_def size(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view default_text, std::string_view doc, T options::*f,
                std::uint64_t max) {
    return {name,
            aliases,
            section,
            value_type::size,
            false,
            default_text,
            doc,
            [f, max](options& o, std::string_view v) { o.*f = static_cast<T>(parse_size(v, max)); },
            [f](const options& o) {
                return o.*f == defaults().*f ? shown{} : shown{fmt::format("{}", o.*f)};
            }};
}

}  // namespace gantry::server::rows
