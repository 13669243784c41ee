// What a worker's exit means and what the master does next: forget it, respawn it (at once
// or after a back-off), give up a reload, or halt gantry. Pure, so that every rule is tested
// on its own (tests/unit/server/exit_policy_test.cpp).
#pragma once

#include <chrono>

namespace gantry::server {

struct worker_exit {
    int wait_status = 0;         // as waitpid() gave it
    bool asked_to_stop = false;  // the master had stopped it (any stop_cause but none)
    std::chrono::milliseconds age{0};
    // A worker of its generation has been seen ready: the app imports and serves.
    bool generation_was_ready = false;
    // A worker of any generation has been seen ready: gantry has served since it started.
    bool ever_served = false;
    // A newer generation has been started since: this one is on its way out anyway.
    // Generation numbers are never reused, so "newer" always means newer code.
    bool superseded = false;
    int quick_deaths = 0;  // start-up deaths in a row of this worker id before this one
};

enum class after_exit {
    forget,          // it was asked to stop: the pool logic replaces it if it is still wanted
    respawn,         // now
    respawn_later,   // after `delay`: it died at start-up
    abandon_reload,  // its new generation cannot start: stop it, the old one serves on
    halt,            // stop gantry with `exit_code`: it has never served and never will
};

struct exit_decision {
    after_exit action = after_exit::forget;
    std::chrono::milliseconds delay{0};
    int exit_code = 0;     // for halt
    int quick_deaths = 0;  // the count to keep for this worker id from now on
};

exit_decision decide_after_exit(const worker_exit& e) noexcept;

}  // namespace gantry::server
