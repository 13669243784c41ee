// Words for a child's wait status, for the log: "exited with code 1",
// "killed by signal 9 (SIGKILL)".
#pragma once

#include <string>

namespace gantry::server {

std::string describe_exit(int wait_status);

}  // namespace gantry::server
