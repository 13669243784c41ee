// Writes one request line from a compiled --log-format template (request_format.hpp): what
// each variable writes is uWSGI's, request strings escaped as gantry's own lines are.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/request_head.hpp"
#include "server/log/request_format.hpp"

namespace gantry::server::log {

// What the line can say about one served request.
struct request_facts {
    const protocol::request_head& head;
    std::string_view addr;  // REMOTE_ADDR, or the X-Forwarded-For address
    int worker = 0;
    int core = 0;  // the request thread
    int status = 0;
    std::uint64_t bytes = 0;       // sent: head and body
    std::uint64_t head_bytes = 0;  // of which the head
    int header_count = 0;
    std::chrono::microseconds took{};
    std::chrono::system_clock::time_point start;  // wall clock, when the request began
    const char* ftime_format = "";                // for %(ftime); "": ltime's
};

// Appends the line (without its newline) to `out`.
void render(const request_format& format, const request_facts& facts, std::string& out);

}  // namespace gantry::server::log
