// How a worker wakes the master at once, instead of waiting for its next tick: it has become
// ready (a reload can retire the old generation now) or has stopped taking requests (its
// --max-requests are served: the replacement is forked now). An eventfd made before the
// first fork; the master watches it in its loop, and what changed is read from the
// scoreboard, so a ring carries no message and many rings are one wake-up. Workers taken over
// by a re-executed master ring the old master's bell, which nobody reads any more: for them
// the new master learns at its tick or at their exit, and they are on their way out anyway.
#pragma once

#include "server/util/unique_fd.hpp"

namespace gantry::server {

class doorbell {
public:
    doorbell();  // throws std::system_error

    // From a worker; never blocks, never fails in a way the worker must know about.
    void ring() const noexcept;
    // From the master once woken: clears the rings so far.
    void clear() const noexcept;
    int fd() const noexcept { return fd_.get(); }

private:
    unique_fd fd_;
};

}  // namespace gantry::server
