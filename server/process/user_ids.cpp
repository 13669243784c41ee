#include "server/process/user_ids.hpp"

#include <grp.h>
#include <pwd.h>

#include <fmt/format.h>
#include <charconv>
#include <limits>
#include <stdexcept>

#include "server/util/config_error.hpp"

namespace gantry::server {

static_assert(sizeof(uid_t) == sizeof(std::uint32_t) && sizeof(gid_t) == sizeof(std::uint32_t),
              "ids are parsed as 32-bit numbers");

std::optional<std::uint32_t> parse_numeric_id(std::string_view text) {
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        throw std::invalid_argument("expected a name or an id from 0 to 4294967294");
    }
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    std::uint32_t id = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    // -1 is what setresuid() and chown() take as "no change": as a target it would leave
    // the process as it is, root included.
    if (ec != std::errc{} || ptr != text.data() + text.size() ||
        id == std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("expected a name or an id from 0 to 4294967294");
    }
    return id;
}

namespace {

template <typename T>
std::optional<T> numeric(std::string_view key, const std::string& text) {
    try {
        const auto id = parse_numeric_id(text);
        return id ? std::optional<T>(static_cast<T>(*id)) : std::nullopt;
    } catch (const std::invalid_argument& e) {
        throw config_error(fmt::format("{} {}: {}", key, text, e.what()));
    }
}

}  // namespace

user_entry find_user(std::string_view key, const std::string& text) {
    const std::optional<uid_t> id = numeric<uid_t>(key, text);
    const passwd* pw = id ? getpwuid(*id) : getpwnam(text.c_str());
    if (pw != nullptr) {
        return {.uid = pw->pw_uid, .gid = pw->pw_gid, .name = pw->pw_name, .known = true};
    }
    if (!id) {
        throw config_error(fmt::format("{} {}: no such user", key, text));
    }
    return {.uid = *id, .gid = 0, .name = {}, .known = false};
}

gid_t find_group(std::string_view key, const std::string& text) {
    if (const std::optional<gid_t> id = numeric<gid_t>(key, text)) {
        return *id;
    }
    const group* gr = getgrnam(text.c_str());
    if (gr == nullptr) {
        throw config_error(fmt::format("{} {}: no such group", key, text));
    }
    return gr->gr_gid;
}

}  // namespace gantry::server
