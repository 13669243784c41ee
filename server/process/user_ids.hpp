// User and group ids as --uid, --gid and --chown-socket name them: a name from the system's
// databases, or a number parsed strictly, so that no value can wrap around to root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gantry::server {

// The id `text` spells when it is all digits; std::nullopt when it is a name. Throws
// std::invalid_argument for a signed number, one above the largest id, or (uid_t)-1, which
// the set*id calls read as "leave unchanged".
std::optional<std::uint32_t> parse_numeric_id(std::string_view text);

struct user_entry {
    uid_t uid;
    gid_t gid;         // the user's primary group; meaningful only when `known`
    std::string name;  // "" when `known` is false
    bool known;        // false for a numeric uid with no passwd entry
};

// Throw config_error naming `key` (as "--uid") for an unknown name or a bad number.
user_entry find_user(std::string_view key, const std::string& text);
gid_t find_group(std::string_view key, const std::string& text);

}  // namespace gantry::server
