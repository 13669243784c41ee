// The pool in Prometheus's text format 0.0.4: gantry_-prefixed names in base units
// (seconds, bytes), counters ending in _total, one histogram for request durations and
// one for the time requests waited in front of gantry (the front's X-Request-Start).
#pragma once

#include <string>

#include "server/observe/pool_view.hpp"

namespace gantry::server {

std::string metrics_text(const pool_view& view);

}  // namespace gantry::server
