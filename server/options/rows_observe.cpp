// Seeing inside: uWSGI's stats server and gantry's Prometheus endpoint, both served by the
// master from the scoreboard (see server/observe/).
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {

namespace {
constexpr std::string_view observe = "Observing";
}

std::vector<option_def> observe_rows() {
    return {
        text("stats", "stats-server", observe,
             "uWSGI's stats server: each connection to HOST:PORT or /path.sock (mode 0600) gets "
             "one JSON document in uWSGI 2.0's schema (uwsgitop, uwsgi_exporter)",
             &options::stats),
        flag("stats-http", "", observe,
             "the stats server speaks HTTP: a GET gets the JSON with its headers",
             &options::stats_http),
        flag("stats-no-cores", "", observe,
             "leave the per-thread `cores` out of the stats document", &options::stats_no_cores),
        always_on("stats-minified", "the stats document is always minified JSON"),
        text("metrics", "", observe,
             "Prometheus endpoint at HOST:PORT (or /path.sock): GET /metrics, /healthz (the "
             "master answers), /readyz (a worker accepts)",
             &options::metrics),
    };
}

}  // namespace gantry::server::rows
