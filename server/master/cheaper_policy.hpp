// The adaptive pool (--cheaper): when to add workers and when to let one go. A pure
// function of what the scoreboard shows, the settings, its own small state and the time, so
// that it is tested on scripted sequences of snapshots.
#pragma once

#include <chrono>
#include <optional>

namespace gantry::server {

struct cheaper_settings {
    int min = 1;                               // --cheaper
    int max = 1;                               // --processes
    int step = 1;                              // --cheaper-step
    std::chrono::milliseconds overload{3000};  // --cheaper-overload
};

struct pool_snapshot {
    int workers = 0;  // running, not being stopped
    int busy = 0;     // of those, serving a request
};

// When the current stretch of all-busy or of idleness began.
struct cheaper_state {
    using time_point = std::chrono::steady_clock::time_point;
    std::optional<time_point> busy_since;
    std::optional<time_point> idle_since;
};

struct cheaper_decision {
    int spawn = 0;           // workers to add
    bool stop_idle = false;  // let one idle worker go
};

// Grows by `step` once every worker has been busy for `overload`; shrinks by one once some
// worker has been idle for `overload`; never below `min` nor above `max`.
cheaper_decision decide_pool(const pool_snapshot& now_seen, const cheaper_settings& settings,
                             cheaper_state& state, cheaper_state::time_point now);

}  // namespace gantry::server
