// A process's memory as /proc tells it: what --stats shows per worker and --metrics
// exports. PSS is the fair share of a pre-fork pool (pages shared with the master after
// fork() are split between those that share them); RSS counts them in every worker.
#pragma once

#include <sys/types.h>

#include "server/observe/pool_view.hpp"

namespace gantry::server {

// Reads /proc/PID/statm (RSS, VSZ) and /proc/PID/smaps_rollup (PSS, USS); zeros for what
// cannot be read (a process that just ended, a kernel without smaps_rollup).
memory_view process_memory(pid_t pid);

}  // namespace gantry::server
