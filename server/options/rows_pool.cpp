// The worker pool's options: how many workers, cheap mode and the adaptive pool, and when a
// worker is recycled or killed.
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

std::vector<option_def> size_rows() {
    using o = options;
    const auto pool = section::pool;
    return {
        number("processes", "p workers", pool, "1", "worker processes (--cheaper's maximum)",
               &o::processes, 1, 1024),
        number("threads", "", pool, "1", "request threads in each worker", &o::threads, 1, 256),
        flag("cheap", "", pool, "start no worker until a connection is pending", &o::cheap),
        duration("idle", pool, "off", "without a request for this long, go back to cheap", &o::idle,
                 86400),
        number("cheaper", "", pool, "off", "adaptive pool: the fewest workers", &o::cheaper, 0,
               1024),
        number("cheaper-initial", "", pool, "--cheaper", "workers at start with --cheaper",
               &o::cheaper_initial, 1, 1024),
        number("cheaper-step", "", pool, "1", "workers added at a time when all are busy",
               &o::cheaper_step, 1, 1024),
        duration("cheaper-overload", pool, "3s",
                 "all busy this long grows the pool; idle, shrinks it", &o::cheaper_overload, 3600),
    };
}

std::vector<option_def> lifetime_rows() {
    using o = options;
    const auto pool = section::pool;
    return {
        duration("harakiri", pool, "off", "kill a worker whose request runs longer", &o::harakiri,
                 86400),
        number("max-requests", "", pool, "off", "recycle a worker after this many requests",
               &o::max_requests, 0, no_limit),
        number("max-requests-delta", "", pool, "0", "up to this many more, per worker",
               &o::max_requests_delta, 0, no_limit),
        number("reload-on-rss", "evil-reload-on-rss", pool, "off",
               "recycle a worker using more memory (MB)", &o::reload_on_rss, 0, no_limit),
        duration("max-worker-lifetime", pool, "off", "recycle a worker after this long",
                 &o::max_worker_lifetime, 31536000),
        with_aliases(
            duration("graceful-timeout", pool, "30s",
                     "how long stopping workers may finish requests", &o::graceful_timeout, 86400),
            "worker-reload-mercy reload-mercy"),
    };
}

}  // namespace

std::vector<option_def> pool_rows() {
    std::vector<option_def> out = size_rows();
    for (option_def& d : lifetime_rows()) {
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace gantry::server::rows
