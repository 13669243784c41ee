#include "server/log/request_log.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "server/log/log.hpp"
#include "server/log/request_format.hpp"
#include "server/log/request_render.hpp"

namespace gantry::server {
namespace {

request_log_settings current;  // set once at start-up, before any thread or fork
// No line for a request that went well (--disable-logging without exceptions, or --log-level
// above info): worked out once, as the hot path's only test in that case.
bool no_ok_lines = false;
bool every_ok_line = true;                            // no --disable-logging, info lines written
std::unique_ptr<const log::request_format> compiled;  // with --log-format
thread_local int request_core = 0;

// As uWSGI's log_request(): the request is logged if every request is, or if one of the
// conditions holds (a whole number of milliseconds at least --log-slow).
bool wanted(int status, double millis) noexcept {
    return every_ok_line || (current.status_4xx && status >= 400 && status <= 499) ||
           (current.status_5xx && status >= 500 && status <= 599) ||
           (current.slow_ms != 0 && static_cast<std::uint64_t>(millis) >= current.slow_ms);
}

// The first address of an X-Forwarded-For list ("client, proxy1, proxy2"): the client's.
std::string_view first_forwarded(std::string_view list) {
    list = list.substr(0, list.find(','));
    const auto first = list.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = list.find_last_not_of(" \t");
    return list.substr(first, last - first + 1);
}

std::string_view client_address(const protocol::request_head& head) {
    if (current.x_forwarded_for) {
        if (const auto xff = head.find("HTTP_X_FORWARDED_FOR"); xff) {
            if (const std::string_view a = first_forwarded(*xff); !a.empty()) {
                return a;
            }
        }
    }
    return var_or_dash(head, "REMOTE_ADDR").text;
}

void write_template_line(int worker_id, const protocol::request_head& head,
                         const embed::call_result& r, double millis) {
    // One buffer per thread: after the first request, a line allocates nothing.
    thread_local std::string line;
    line.clear();
    const auto took = std::chrono::microseconds(std::llround(millis * 1000.0));
    try {
        log::render(*compiled,
                    {.head = head,
                     .addr = client_address(head),
                     .worker = worker_id,
                     .core = request_core,
                     .status = r.status,
                     .bytes = r.bytes_sent,
                     .head_bytes = r.head_bytes,
                     .header_count = r.header_count,
                     .took = took,
                     .start = std::chrono::system_clock::now() - took,
                     .ftime_format = current.ftime_format.c_str()},
                    line);
    } catch (...) {
        return;  // out of memory: dropping one log line beats dying
    }
    log::request_text(line);
}

void write_request_line(int worker_id, const protocol::request_head& head,
                        const embed::call_result& r, double millis, bool static_file) {
    if (compiled) {
        write_template_line(worker_id, head, r, millis);
        return;
    }
    // Raw: the request line escapes them as its format (text or JSON) needs.
    log::request({.worker = worker_id,
                  .remote = client_address(head),
                  .method = var_or_dash(head, "REQUEST_METHOD").text,
                  .uri = var_or_dash(head, "REQUEST_URI").text,
                  .status = r.status,
                  .bytes = r.bytes_sent,
                  .millis = millis,
                  .static_file = static_file});
}

}  // namespace

void configure_request_log(const request_log_settings& s) {
    current = s;
    const bool conditional = s.status_4xx || s.status_5xx || s.slow_ms != 0;
    every_ok_line = log::requests_enabled();
    no_ok_lines = !every_ok_line && !(conditional && log::enabled(log::level::info));
    compiled = s.format.empty() ? nullptr : std::make_unique<const log::request_format>(s.format);
}

void set_request_core(int core) noexcept {
    request_core = core;
}

log::printable var_or_dash(const protocol::request_head& head, std::string_view key) {
    const auto v = head.find(key);
    return {v && !v->empty() ? *v : std::string_view("-")};
}

void log_request(int worker_id, const protocol::request_head& head, const embed::call_result& r,
                 double millis, bool static_file) {
    if (r.result == embed::outcome::ok && r.warning.empty() && no_ok_lines) {
        return;  // the common case with --disable-logging: nothing to look up
    }
    const auto method = var_or_dash(head, "REQUEST_METHOD");
    const auto uri = var_or_dash(head, "REQUEST_URI");
    switch (r.result) {
        case embed::outcome::ok:
            if (wanted(r.status, millis)) {
                write_request_line(worker_id, head, r, millis, static_file);
            }
            break;
        case embed::outcome::app_error:
            log::error("worker {}: {} {}: the application failed, 500 sent:\n{}", worker_id, method,
                       uri, r.message);
            break;
        case embed::outcome::response_aborted:
            log::error(
                "worker {}: {} {}: the application failed after the response started; "
                "connection closed:\n{}",
                worker_id, method, uri, r.message);
            break;
        case embed::outcome::client_gone:
            log::debug("worker {}: {} {}: {}", worker_id, method, uri, r.message);
            break;
        case embed::outcome::body_failed:
            log::warning("worker {}: {} {}: {}; connection closed", worker_id, method, uri,
                         r.message);
            break;
        case embed::outcome::no_app:
            log::info("worker {}: {} {} {} => 404, no application mounted there", worker_id,
                      log::printable{client_address(head)}, method, uri);
            break;
    }
    if (!r.warning.empty()) {
        log::warning("worker {}: {} {}: {}", worker_id, method, uri, r.warning);
    }
}

}  // namespace gantry::server
