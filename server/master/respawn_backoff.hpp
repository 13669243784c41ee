// Crash-loop protection: how long to wait before respawning a worker that keeps dying right
// after it starts. Pure, so that its schedule is tested on its own.
#pragma once

#include <chrono>

namespace gantry::server {

// A worker that lived less than this died at start-up.
inline constexpr std::chrono::seconds min_worker_lifetime{1};

// The wait before the next spawn after `quick_deaths` start-up deaths in a row: none after a
// worker that ran fine, then 1 s, 2 s, 4 s... up to 30 s.
std::chrono::milliseconds respawn_delay(int quick_deaths) noexcept;

}  // namespace gantry::server
