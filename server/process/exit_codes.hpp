// The exit codes of gantry and of its workers, in one place, so that the master, main() and
// the operator's tooling read them the same way. As gunicorn's: a worker that cannot boot
// (3) or cannot import the app (4) before it was ever ready makes the master halt with that
// code instead of respawning it forever.
#pragma once

namespace gantry::server::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;      // anything else: a bind, pidfile or scoreboard error
inline constexpr int config = 2;       // a bad option or configuration file
inline constexpr int worker_boot = 3;  // a worker could not set itself up to serve
inline constexpr int app_load = 4;     // the application could not be imported

}  // namespace gantry::server::exit_code
