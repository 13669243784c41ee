// The I/O side of a worker that has HTTP listeners: one thread with an Asio loop that
// accepts connections and watches idle keep-alive ones, handing each to the work queue only
// when it has a request to serve. Request threads never wait on an idle client, so a new
// client is never stuck behind keep-alive connections that hold no request.
#pragma once

#include <memory>
#include <span>

#include "server/http/http_connection.hpp"
#include "server/http/work_queue.hpp"
#include "server/net/listener.hpp"

namespace gantry::server {

class http_front {
public:
    // Watches every listener: HTTP connections wait for their first request here, uwsgi
    // ones (a worker may serve both) go straight to the queue.
    http_front(std::span<const listener> listeners, work_queue& queue,
               const http_settings& settings, int keepalive_timeout);
    ~http_front();

    // Starts the I/O thread; it runs for the life of the worker process.
    void start();

    // Thread-safe: stop accepting and drop the idle connections (the worker is stopping).
    void stop();

    // Thread-safe: the connection goes back to wait for its next request, and is closed
    // after the keep-alive timeout if none comes.
    void park(std::unique_ptr<http_connection> connection);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace gantry::server
