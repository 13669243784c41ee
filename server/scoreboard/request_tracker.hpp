// Keeps a request thread's scoreboard slot true: busy with "METHOD URI" from the moment
// its head is read until the response is done, then the worker's request count.
#pragma once

#include "protocol/request_head.hpp"
#include "server/scoreboard/scoreboard.hpp"

namespace gantry::server {

class request_tracker {
public:
    request_tracker(worker_slot& worker, thread_slot& thread) : worker_(worker), thread_(thread) {}

    void begin(const protocol::request_head& head) noexcept {
        thread_.begin(head.find("REQUEST_METHOD").value_or("-"),
                      head.find("REQUEST_URI").value_or("-"));
    }

    void end() noexcept {
        thread_.end();
        worker_.requests.fetch_add(1, std::memory_order_relaxed);
    }

private:
    worker_slot& worker_;
    thread_slot& thread_;
};

}  // namespace gantry::server
