#include "server/process/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

[[noreturn]] void refused(const char* what, const std::string& value) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, value, std::strerror(errno)));
}

}  // namespace

void drop_privileges(const std::string& uid, const std::string& gid) {
    const passwd* user = nullptr;
    if (!uid.empty()) {
        user = all_digits(uid) ? getpwuid(static_cast<uid_t>(std::atol(uid.c_str())))
                               : getpwnam(uid.c_str());
        if (user == nullptr && !all_digits(uid)) {
            throw config_error(fmt::format("--uid {}: no such user", uid));
        }
    }
    gid_t group_id = user != nullptr ? user->pw_gid : getgid();
    if (!gid.empty()) {
        const struct group* g = all_digits(gid) ? nullptr : getgrnam(gid.c_str());
        if (!all_digits(gid) && g == nullptr) {
            throw config_error(fmt::format("--gid {}: no such group", gid));
        }
        group_id = g != nullptr ? g->gr_gid : static_cast<gid_t>(std::atol(gid.c_str()));
    }
    if (uid.empty() && gid.empty()) {
        return;
    }
    // Group first: once the user changes, changing groups is no longer allowed.
    if (user != nullptr ? initgroups(user->pw_name, group_id) != 0 : setgroups(0, nullptr) != 0) {
        refused("--gid", gid.empty() ? uid : gid);
    }
    if (setgid(group_id) != 0) {
        refused("--gid", gid.empty() ? uid : gid);
    }
    if (!uid.empty()) {
        const uid_t id =
            user != nullptr ? user->pw_uid : static_cast<uid_t>(std::atol(uid.c_str()));
        if (setuid(id) != 0) {
            refused("--uid", uid);
        }
    }
}

}  // namespace gantry::server
