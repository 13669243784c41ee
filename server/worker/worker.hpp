// A worker process's life: accept a connection on an inherited listener, read one uwsgi
// request, call the application, write the response, close; again. With --threads N, N
// threads do this side by side, each with its own accept loop and buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "embed/wsgi_app.hpp"
#include "server/net/io_budget.hpp"
#include "server/net/listener.hpp"
#include "server/net/trusted_proxies.hpp"
#include "server/scoreboard/doorbell.hpp"
#include "server/scoreboard/scoreboard.hpp"

namespace gantry::embed {
class interpreter;
}

namespace gantry::server {

class static_files;

struct worker_settings {
    int id = 1;    // 1-based number in the logs, kept by a respawned worker
    int slot = 0;  // its place in the scoreboard
    int threads = 1;
    std::size_t buffer_size = 65535;
    io_timeouts timeouts;
    std::uint64_t limit_post = 0;  // 0: no limit
    int http_keepalive_timeout = 5;
    int max_connections = 1000;      // open HTTP connections, idle ones included
    std::uint64_t max_requests = 0;  // this worker's own --max-requests (jitter included); 0: none
    const static_files* statics = nullptr;  // --static-map and friends; null: none
    trusted_proxies forwarded;              // --forwarded-allow-ips
};

// Serves until the process is stopped by a signal; ends the process itself (with an error)
// only when it cannot go on, e.g. when the listeners are gone.
// SIGTERM stops it gracefully (see worker_control), SIGUSR2 dumps its Python tracebacks.
// It rings `master` once it is ready and once it has served its --max-requests.
[[noreturn]] void run_worker(const worker_settings& settings, std::span<const listener> listeners,
                             embed::wsgi_app& app, embed::interpreter& python, scoreboard& board,
                             const doorbell& master);

}  // namespace gantry::server
