// The one place that calls fork(). Every child is made the same way: signals blocked across
// the fork, Asio and Python told about it, the child's signal dispositions back to default.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>

namespace boost::asio {
class io_context;
}

namespace gantry::embed {
class interpreter;
}

namespace gantry::server {

// The signals a child starts with blocked: the ones the master sends (SIGTERM, SIGINT,
// SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2). The child handles or unblocks them when it is ready.
const sigset_t& child_blocked_signals();

// Runs `child_main` in a new process that exits with its result (and dies with its parent);
// returns the child's pid. Throws std::system_error when fork() fails.
pid_t fork_process(boost::asio::io_context& io, embed::interpreter& python,
                   const std::function<int()>& child_main);

}  // namespace gantry::server
