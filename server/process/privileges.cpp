#include "server/process/privileges.hpp"

#include <grp.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "server/process/privilege_check.hpp"
#include "server/process/user_ids.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

[[noreturn]] void refused(const char* what, const std::string& value) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, value, std::strerror(errno)));
}

// The supplementary groups initgroups() gives `name` with primary group `gid`.
std::vector<gid_t> group_list(const std::string& name, gid_t gid) {
    int n = 8;
    std::vector<gid_t> groups;
    do {
        groups.resize(static_cast<std::size_t>(n));
    } while (getgrouplist(name.c_str(), gid, groups.data(), &n) < 0);
    groups.resize(static_cast<std::size_t>(n));
    return groups;
}

struct plan {
    id_target target;
    std::string initgroups_name;  // "" when the user has no passwd entry: no groups at all
};

plan resolve(const std::string& uid, const std::string& gid) {
    plan p;
    std::optional<gid_t> primary;
    if (!uid.empty()) {
        const user_entry u = find_user("--uid", uid);
        if (!u.known && gid.empty()) {
            throw config_error(fmt::format(
                "--uid {}: no passwd entry for this id, so no group to run as: give --gid", uid));
        }
        p.target.uid = u.uid;
        p.initgroups_name = u.name;
        if (u.known) {
            primary = u.gid;
        }
    }
    p.target.gid = gid.empty() ? primary : std::optional<gid_t>(find_group("--gid", gid));
    if (!p.initgroups_name.empty()) {
        p.target.groups = group_list(p.initgroups_name, *p.target.gid);
    }
    return p;
}

id_snapshot snapshot(const id_target& t, bool try_root) {
    id_snapshot s{};
    getresuid(&s.ruid, &s.euid, &s.suid);
    getresgid(&s.rgid, &s.egid, &s.sgid);
    s.groups.resize(static_cast<std::size_t>(std::max(getgroups(0, nullptr), 0)));
    s.groups.resize(static_cast<std::size_t>(
        std::max(getgroups(static_cast<int>(s.groups.size()), s.groups.data()), 0)));
    s.became_root = try_root && t.uid && *t.uid != 0 && setuid(0) == 0;
    return s;
}

// Groups first: once the user changes, changing groups is no longer allowed.
void change_ids(const plan& p, const std::string& uid, const std::string& gid) {
    const std::string& group_text = gid.empty() ? uid : gid;
    if (!p.initgroups_name.empty() ? initgroups(p.initgroups_name.c_str(), *p.target.gid) != 0
                                   : setgroups(0, nullptr) != 0) {
        refused("--gid", group_text);
    }
    if (const gid_t g = *p.target.gid; setresgid(g, g, g) != 0) {
        refused("--gid", group_text);
    }
    if (p.target.uid) {
        if (const uid_t u = *p.target.uid; setresuid(u, u, u) != 0) {
            refused("--uid", uid);
        }
    }
}

}  // namespace

void drop_privileges(const std::string& uid, const std::string& gid) {
    if (uid.empty() && gid.empty()) {
        return;
    }
    const plan p = resolve(uid, gid);
    // A master re-executed by a reload already runs as the target, and can no longer call
    // initgroups(): there is nothing left to drop, only to check.
    const bool changing = !runs_as(snapshot(p.target, false), p.target);
    if (changing) {
        change_ids(p, uid, gid);
    }
    if (const std::string wrong = incomplete_drop(snapshot(p.target, true), p.target, changing);
        !wrong.empty()) {
        throw std::runtime_error(fmt::format("{} {}: privileges not dropped: {}",
                                             uid.empty() ? "--gid" : "--uid",
                                             uid.empty() ? gid : uid, wrong));
    }
}

}  // namespace gantry::server
