#include "server/scoreboard/request_tracker.hpp"

#include <time.h>

#include "protocol/request_start.hpp"

namespace gantry::server {
namespace {

std::int64_t now_us(clockid_t clock) noexcept {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// Only this thread writes its counters: a plain load and store, no locked instruction on
// the hot path; the master's reads are atomic all the same.
void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

void record(latency_histogram& h, std::int64_t us) noexcept {
    bump(h.counts[latency_bucket(us)]);
    bump(h.sum_us, static_cast<std::uint64_t>(us));
}

}  // namespace

void request_tracker::begin(const protocol::request_head& head) noexcept {
    thread_.begin(head.find("REQUEST_METHOD").value_or("-"),
                  head.find("REQUEST_URI").value_or("-"));
    started_us_ = now_us(CLOCK_MONOTONIC);
    // Sent by a front that stamps requests (nginx: proxy_set_header / uwsgi_param
    // X-Request-Start "t=${msec}"); a clock behind the front's counts as no wait.
    if (const auto header = head.find("HTTP_X_REQUEST_START")) {
        if (const auto start = protocol::request_start_us(*header)) {
            const std::int64_t wait = now_us(CLOCK_REALTIME) - *start;
            record(thread_.counters.queue_wait, wait > 0 ? wait : 0);
        }
    }
}

void request_tracker::end_static(int status, std::uint64_t bytes) noexcept {
    thread_.end();
    thread_counters& c = thread_.counters;
    bump(c.static_by_status[thread_counters::class_of(status)]);
    bump(c.tx_bytes, bytes);
}

void request_tracker::end(const embed::call_result& r) noexcept {
    const std::int64_t took = now_us(CLOCK_MONOTONIC) - started_us_;
    thread_.end();
    thread_counters& c = thread_.counters;
    bump(c.requests);
    bump(c.by_status[thread_counters::class_of(r.status)]);
    if (r.result == embed::outcome::app_error || r.result == embed::outcome::response_aborted) {
        bump(c.exceptions);
    }
    bump(c.tx_bytes, r.bytes_sent);
    record(c.duration, took);
    worker_.requests.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gantry::server
