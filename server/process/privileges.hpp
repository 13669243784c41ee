// --uid / --gid: give up root once the sockets are bound, before any app code runs.
#pragma once

#include <string>

namespace gantry::server {

// Names or numbers; "" leaves that one as it is. Throws config_error for an unknown user or
// group, a bad id, or a uid with no passwd entry and no --gid; std::runtime_error when the
// change is refused or, checked afterwards, incomplete (an id, a group of root's, or a way
// back to uid 0 kept). A process that already runs as the target (a master re-executed by
// a reload) changes nothing and passes the same check.
void drop_privileges(const std::string& uid, const std::string& gid);

}  // namespace gantry::server
