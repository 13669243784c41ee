// When a worker should be replaced (--max-requests, --reload-on-rss, --max-worker-lifetime).
// Pure: the master feeds it what it read from the scoreboard and /proc.
#pragma once

#include <cstdint>
#include <string>

#include "server/master/stop_cause.hpp"

namespace gantry::server {

struct recycle_limits {
    std::uint64_t max_requests = 0;  // this worker's own limit, jitter included; 0: none
    std::uint64_t max_rss_kb = 0;    // 0: none
    std::int64_t max_lifetime_ms = 0;
};

struct worker_usage {
    std::uint64_t requests = 0;
    std::uint64_t rss_kb = 0;
    std::int64_t age_ms = 0;
};

struct recycle_verdict {
    stop_cause cause = stop_cause::none;  // none: not due
    std::string why;  // for the log: "served 1000 requests (--max-requests 1000)"
};

// The first limit the worker has reached, if any.
recycle_verdict recycle_due(const worker_usage& usage, const recycle_limits& limits);

// --max-requests plus this worker's share of --max-requests-delta, drawn from `random`.
std::uint64_t jittered_max_requests(std::uint64_t max_requests, std::uint64_t delta,
                                    std::uint64_t random) noexcept;

}  // namespace gantry::server
