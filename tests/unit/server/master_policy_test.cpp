#include <catch2/catch.hpp>

#include "server/master/recycle_policy.hpp"
#include "server/master/respawn_backoff.hpp"

using namespace gantry::server;
using namespace std::chrono_literals;

TEST_CASE("respawn backoff doubles from 1 s up to 30 s after start-up deaths") {
    CHECK(respawn_delay(0) == 0ms);
    CHECK(respawn_delay(1) == 1000ms);
    CHECK(respawn_delay(2) == 2000ms);
    CHECK(respawn_delay(3) == 4000ms);
    CHECK(respawn_delay(5) == 16000ms);
    CHECK(respawn_delay(6) == 30000ms);
    CHECK(respawn_delay(1000) == 30000ms);
}

TEST_CASE("a worker is recycled for the first limit it reaches, and only then") {
    const recycle_limits none{};
    CHECK(recycle_due({.requests = 1'000'000, .rss_kb = 1 << 30, .age_ms = 1 << 30}, none).cause ==
          stop_cause::none);

    const recycle_limits requests{.max_requests = 100, .max_rss_kb = 0, .max_lifetime_ms = 0};
    CHECK(recycle_due({.requests = 99, .rss_kb = 0, .age_ms = 0}, requests).cause ==
          stop_cause::none);
    const recycle_verdict max_requests =
        recycle_due({.requests = 100, .rss_kb = 0, .age_ms = 0}, requests);
    CHECK(max_requests.cause == stop_cause::max_requests);
    CHECK(max_requests.why == "served 100 requests (--max-requests 100)");

    const recycle_limits rss{.max_requests = 0, .max_rss_kb = 200 * 1024, .max_lifetime_ms = 0};
    CHECK(recycle_due({.requests = 0, .rss_kb = 200 * 1024, .age_ms = 0}, rss).cause ==
          stop_cause::none);
    const recycle_verdict max_rss =
        recycle_due({.requests = 0, .rss_kb = 300 * 1024, .age_ms = 0}, rss);
    CHECK(max_rss.cause == stop_cause::max_rss);
    CHECK(max_rss.why == "uses 300 MB of memory (--reload-on-rss 200)");

    const recycle_limits age{.max_requests = 0, .max_rss_kb = 0, .max_lifetime_ms = 60'000};
    CHECK(recycle_due({.requests = 0, .rss_kb = 0, .age_ms = 59'999}, age).cause ==
          stop_cause::none);
    const recycle_verdict max_lifetime =
        recycle_due({.requests = 0, .rss_kb = 0, .age_ms = 60'000}, age);
    CHECK(max_lifetime.cause == stop_cause::max_lifetime);
    CHECK(max_lifetime.why == "ran 60 s (--max-worker-lifetime 60)");
}

TEST_CASE("--max-requests-delta spreads the limit over [max, max + delta]") {
    CHECK(jittered_max_requests(0, 50, 12345) == 0);
    CHECK(jittered_max_requests(1000, 0, 12345) == 1000);
    for (std::uint64_t r : {0ULL, 1ULL, 50ULL, 51ULL, 999999ULL}) {
        const auto limit = jittered_max_requests(1000, 50, r);
        CHECK(limit >= 1000);
        CHECK(limit <= 1050);
    }
    CHECK(jittered_max_requests(1000, 50, 50) == 1050);
    CHECK(jittered_max_requests(1000, 50, 51) == 1000);
}
