#include "server/master/recycle_policy.hpp"

#include <fmt/format.h>

namespace gantry::server {

std::string recycle_reason(const worker_usage& usage, const recycle_limits& limits) {
    if (limits.max_requests != 0 && usage.requests >= limits.max_requests) {
        return fmt::format("served {} requests (--max-requests {})", usage.requests,
                           limits.max_requests);
    }
    if (limits.max_rss_kb != 0 && usage.rss_kb > limits.max_rss_kb) {
        return fmt::format("uses {} MB of memory (--reload-on-rss {})", usage.rss_kb / 1024,
                           limits.max_rss_kb / 1024);
    }
    if (limits.max_lifetime_ms != 0 && usage.age_ms >= limits.max_lifetime_ms) {
        return fmt::format("ran {} s (--max-worker-lifetime {})", usage.age_ms / 1000,
                           limits.max_lifetime_ms / 1000);
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
