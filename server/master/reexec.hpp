// Reload with fresh code when the app was imported in the master: the master replaces its
// own image (execve, same pid) with a new gantry, handing over through the environment its
// listening sockets (its own and --stats/--metrics'), its scoreboard and its workers. The sockets
// never close, the workers keep serving until the new master's workers are up, and the new one
// re-reads its config.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/master/master.hpp"

namespace gantry::server {

struct handover {
    bool chain = false;
    int scoreboard_fd = -1;
    int scoreboard_workers = 0;
    int scoreboard_threads = 0;
    std::vector<std::pair<std::string, int>> listeners;  // --socket text and descriptor
    std::vector<std::pair<std::string, int>> observers;  // "stats ADDR", "metrics ADDR"
    std::vector<worker_process> workers;
};

// What a previous master handed over, if this process is its replacement (and removes it
// from the environment, so that nothing else inherits it). Its descriptors are made
// close-on-exec again here; the listeners and the scoreboard that take them own them.
std::optional<handover> take_handover();

// Execs `argv` again from `cwd` with `h` in the environment. `h` names descriptors the
// caller still owns; they are inheritable only during the exec. Returns only if it failed.
void reexec_master(const std::vector<std::string>& argv, const std::string& cwd, const handover& h);

}  // namespace gantry::server
