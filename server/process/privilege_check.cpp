#include "server/process/privilege_check.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace gantry::server {

bool runs_as(const id_snapshot& now, const id_target& t) {
    const bool user = !t.uid || (now.ruid == *t.uid && now.euid == *t.uid && now.suid == *t.uid);
    const bool group = !t.gid || (now.rgid == *t.gid && now.egid == *t.gid && now.sgid == *t.gid);
    return user && group;
}

std::string incomplete_drop(const id_snapshot& now, const id_target& t, bool check_groups) {
    if (t.uid && !(now.ruid == *t.uid && now.euid == *t.uid && now.suid == *t.uid)) {
        return fmt::format("uids are {} {} {} (real, effective, saved), not {}", now.ruid, now.euid,
                           now.suid, *t.uid);
    }
    if (t.gid && !(now.rgid == *t.gid && now.egid == *t.gid && now.sgid == *t.gid)) {
        return fmt::format("gids are {} {} {} (real, effective, saved), not {}", now.rgid, now.egid,
                           now.sgid, *t.gid);
    }
    if (check_groups) {
        for (const gid_t g : now.groups) {
            if (g != t.gid && std::find(t.groups.begin(), t.groups.end(), g) == t.groups.end()) {
                return fmt::format("supplementary group {} is kept", g);
            }
        }
    }
    if (t.uid && *t.uid != 0 && now.became_root) {
        return "setuid(0) still succeeds";
    }
    return {};
}

}  // namespace gantry::server
