// --uid / --gid: give up root once the sockets are bound, before any app code runs.
#pragma once

#include <string>

namespace gantry::server {

// Names or numbers; "" leaves that one as it is. Throws config_error for an unknown user or
// group, std::runtime_error when the change is refused.
void drop_privileges(const std::string& uid, const std::string& gid);

}  // namespace gantry::server
