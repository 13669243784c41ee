// What a privilege drop must leave behind, as a pure check over a snapshot of the process's
// ids: the real, effective and saved ids all the targets, none of root's supplementary
// groups, and no way back to uid 0.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace gantry::server {

// --uid / --gid resolved to ids; an absent one is left as it is.
struct id_target {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::vector<gid_t> groups;  // the supplementary groups allowed (initgroups' list)
};

struct id_snapshot {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    std::vector<gid_t> groups;
    bool became_root;  // setuid(0) succeeded
};

// Whether the process already runs as `t` (a re-executed master, or one started as the
// target user): then there is nothing to change, and nothing it could change.
bool runs_as(const id_snapshot& now, const id_target& t);

// "" when the drop to `t` is complete, else what is wrong, for the error line.
// `check_groups`: the supplementary groups were set by this drop (not inherited).
std::string incomplete_drop(const id_snapshot& now, const id_target& t, bool check_groups);

}  // namespace gantry::server
