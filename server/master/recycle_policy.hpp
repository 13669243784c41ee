// When a worker should be replaced (--max-requests, --reload-on-rss, --max-worker-lifetime).
// Pure: the master feeds it what it read from the scoreboard and /proc.
#pragma once

#include <cstdint>
#include <string>

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

// Why the worker is due ("served 1000 requests"), or "" when it is not.
std::string recycle_reason(const worker_usage& usage, const recycle_limits& limits);

// --max-requests plus this worker's share of --max-requests-delta, drawn from `random`.
std::uint64_t jittered_max_requests(std::uint64_t max_requests, std::uint64_t delta,
                                    std::uint64_t random) noexcept;

}  // namespace gantry::server
