#include "server/master/recycle_policy.hpp"

#include <fmt/format.h>

namespace gantry::server {

recycle_verdict recycle_due(const worker_usage& usage, const recycle_limits& limits) {
    if (limits.max_requests != 0 && usage.requests >= limits.max_requests) {
        return {stop_cause::max_requests, fmt::format("served {} requests (--max-requests {})",
                                                      usage.requests, limits.max_requests)};
    }
    if (limits.max_rss_kb != 0 && usage.rss_kb > limits.max_rss_kb) {
        return {stop_cause::max_rss, fmt::format("uses {} MB of memory (--reload-on-rss {})",
                                                 usage.rss_kb / 1024, limits.max_rss_kb / 1024)};
    }
    if (limits.max_lifetime_ms != 0 && usage.age_ms >= limits.max_lifetime_ms) {
        return {stop_cause::max_lifetime,
                fmt::format("ran {} s (--max-worker-lifetime {})", usage.age_ms / 1000,
                            limits.max_lifetime_ms / 1000)};
    }
    return {};
}

std::uint64_t jittered_max_requests(std::uint64_t max_requests, std::uint64_t delta,
                                    std::uint64_t random) noexcept {
    if (max_requests == 0) {
        return 0;
    }
    return max_requests + (delta == 0 ? 0 : random % (delta + 1));
}

}  // namespace gantry::server
