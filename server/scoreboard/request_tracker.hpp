// Keeps a request thread's scoreboard slot true: busy with "METHOD URI" from the moment
// its head is read until the response is done, then the worker's request count and the
// thread's counters (status class, exceptions, bytes, duration, the front's queue wait).
#pragma once

#include <cstdint>

#include "embed/wsgi_app.hpp"
#include "protocol/request_head.hpp"
#include "server/scoreboard/scoreboard.hpp"

namespace gantry::server {

class request_tracker {
public:
    request_tracker(worker_slot& worker, thread_slot& thread) : worker_(worker), thread_(thread) {}

    void begin(const protocol::request_head& head) noexcept;
    void end(const embed::call_result& r) noexcept;
    // A static file answered instead of the app (begin() was called): its status and the
    // bytes queued for sending.
    void end_static(int status, std::uint64_t bytes) noexcept;

private:
    worker_slot& worker_;
    thread_slot& thread_;
    std::int64_t started_us_ = 0;  // CLOCK_MONOTONIC
};

}  // namespace gantry::server
