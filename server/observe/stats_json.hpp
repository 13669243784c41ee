// uWSGI 2.0's stats document (core/master_utils.c, uwsgi_master_generate_stats), key for key
// and type for type, so that uwsgitop and uwsgi_exporter read gantry as they read uWSGI.
// What gantry does not have (locks, signals, per-app split) is there and empty or 0.
#pragma once

#include <string>

#include "server/observe/pool_view.hpp"

namespace gantry::server {

struct stats_format {
    bool cores = true;  // --stats-no-cores leaves them out, as uWSGI does
};

std::string stats_json(const pool_view& view, const stats_format& format);

}  // namespace gantry::server
