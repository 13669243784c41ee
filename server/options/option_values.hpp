// How option values are read from text: whole numbers, sizes ("64k", "1m"), durations
// ("30s", "5m"), octal modes and booleans. Each throws std::invalid_argument saying what it
// expected, which the caller turns into a message naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::server {

long long parse_number(std::string_view v, long long min, long long max);
// Bytes: a number with an optional k, m or g suffix (powers of 1024).
std::uint64_t parse_size(std::string_view v, std::uint64_t max);
// Seconds: a number with an optional s, m, h or d suffix.
long long parse_duration(std::string_view v, long long max_seconds);
// Unix permissions as chmod takes them: 660, 0666.
int parse_mode(std::string_view v);
// true/yes/on/1 or false/no/off/0, as uWSGI and YAML write them.
bool parse_bool(std::string_view v);

}  // namespace gantry::server
