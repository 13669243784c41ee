// Why the master asked a worker to stop. The master's decisions read this, never the log
// text: each stop carries a note in words as well, for the log only.
#pragma once

#include <cstdint>
#include <string_view>

namespace gantry::server {

enum class stop_cause : std::uint8_t {
    none,           // not asked to stop: an exit is a death
    shutdown,       // gantry is stopping (SIGTERM, SIGINT, SIGQUIT, or a halt)
    reload,         // replaced by a newer generation (SIGHUP, SIGUSR2)
    failed_reload,  // its generation could not import the app: the old one serves on
    max_requests,   // recycled: --max-requests (the worker itself stopped taking requests)
    max_rss,        // recycled: --reload-on-rss
    max_lifetime,   // recycled: --max-worker-lifetime
    harakiri,       // a request outran --harakiri
    shrink,         // the pool shrank: SIGTTOU or --cheaper
    cheap,          // --cheap / --idle: the pool goes back to sleep
};

constexpr bool is_recycle(stop_cause c) noexcept {
    return c == stop_cause::max_requests || c == stop_cause::max_rss ||
           c == stop_cause::max_lifetime;
}

}  // namespace gantry::server
