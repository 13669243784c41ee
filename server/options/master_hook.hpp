// uWSGI's `hook-master-start` values that gantry understands. uWSGI runs arbitrary actions
// there; the only ones real configurations use are `unix_signal:N gracefully_kill_them_all`
// (what signal N does to the master), and gantry has a meaning for two of them.
#pragma once

#include <string_view>

namespace gantry::server {

// The signal a `unix_signal:N gracefully_kill_them_all` hook makes a graceful stop: 15
// (SIGTERM, already so) or 2 (SIGINT). Anything else throws std::invalid_argument saying
// what gantry offers instead. Spaces around the parts do not matter.
int graceful_stop_signal_of_hook(std::string_view value);

}  // namespace gantry::server
