// The log lines of a served request, whatever the listener: one info line when all went
// well, the traceback when the app failed, a warning when something was repaired.
#pragma once

#include <string_view>

#include "embed/wsgi_app.hpp"
#include "protocol/request_head.hpp"
#include "server/log/escape.hpp"

namespace gantry::server {

void log_request(int worker_id, const protocol::request_head& head, const embed::call_result& r,
                 double millis);

// A var's value for a text log line (escaped as it is formatted), or "-" when it is absent
// or empty.
log::printable var_or_dash(const protocol::request_head& head, std::string_view key);

}  // namespace gantry::server
