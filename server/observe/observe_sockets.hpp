// The listening sockets of --stats and --metrics: bound before privileges are dropped, as
// the listeners are (a port below 1024, a folder under /run), and handed over across a
// reload's exec under their own names, so that a scraper never finds them gone.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/net/listener.hpp"

namespace gantry::server {

struct options;

// (name, descriptor) pairs, as a reload hands them over.
using named_fds = std::vector<std::pair<std::string, int>>;

struct observe_sockets {
    std::optional<listener> stats;
    std::optional<listener> metrics;

    // For the hand-over: ("stats ADDR", fd) and ("metrics ADDR", fd).
    named_fds named() const;
};

// Binds what the options ask for, or takes over the same from `handed` (a reload's); throws
// std::runtime_error naming the option and the cause. What was handed over and the options
// no longer ask for is closed.
observe_sockets open_observe_sockets(const options& o, named_fds handed);

}  // namespace gantry::server
