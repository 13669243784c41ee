// The log lines of a served request, whatever the listener: one info line when all went
// well, the traceback when the app failed, a warning when something was repaired. Which
// request lines are written, and in what form (gantry's, or a uWSGI --log-format template),
// is set once from the options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "embed/wsgi_app.hpp"
#include "protocol/request_head.hpp"
#include "server/log/escape.hpp"

namespace gantry::server {

struct request_log_settings {
    // uWSGI's conditional logging: with --disable-logging, these requests are still logged.
    bool status_4xx = false;
    bool status_5xx = false;
    std::uint32_t slow_ms = 0;  // 0: off
    bool x_forwarded_for = false;
    std::string format;        // --log-format template; "": gantry's line
    std::string ftime_format;  // %(ftime)'s strftime format; "": ltime's
};

// Set once in main(), after log::configure() and before any thread or fork. The template was
// checked when the option was stored: a refusal here throws std::invalid_argument.
void configure_request_log(const request_log_settings& s);

// The request thread this thread is, within its worker: %(core) of a --log-format.
void set_request_core(int core) noexcept;

// Error lines (app failures, tracebacks, repairs) are written whatever the options say.
// `static_file`: answered from --static-map, not by the app (the line says so).
void log_request(int worker_id, const protocol::request_head& head, const embed::call_result& r,
                 double millis, bool static_file = false);

// A var's value for a text log line (escaped as it is formatted), or "-" when it is absent
// or empty.
log::printable var_or_dash(const protocol::request_head& head, std::string_view key);

}  // namespace gantry::server
