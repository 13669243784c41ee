// A worker process's life: accept a connection on an inherited listener, read one uwsgi
// request, call the application, write the response, close; again.
#pragma once

#include <cstddef>
#include <span>

#include "embed/wsgi_app.hpp"
#include "server/net/listener.hpp"

namespace gantry::server {

struct worker_settings {
    int id = 1;  // 1-based, stable across respawns of the same slot
    std::size_t buffer_size = 65535;
    int socket_timeout = 4;
};

// Serves until the process is stopped by a signal; returns an exit code only when it
// cannot go on (the listeners are gone).
int run_worker(const worker_settings& settings, std::span<const listener> listeners,
               embed::wsgi_app& app);

}  // namespace gantry::server
