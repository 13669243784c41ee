// A request answered from --static-map before any app code runs: the file is looked up and
// opened (static_files), the response decided (304, 206, 416...) and as much of it sent as
// the socket takes at once, on the request thread, without the GIL; the rest goes to the
// worker's file_sender. Shared by the HTTP and the uwsgi paths.
#pragma once

#include "protocol/request_head.hpp"
#include "server/http/file_sender.hpp"
#include "server/scoreboard/request_tracker.hpp"
#include "server/static/static_files.hpp"

namespace gantry::server {

struct static_reply {
    enum class kind {
        app,       // not a static request: the app answers it
        finished,  // sent whole; the connection may serve another if keep_alive
        sending,   // `rest` is for the file_sender
        close,     // answered (an error, or the client went away): close the connection
    };
    kind what = kind::app;
    bool keep_alive = false;
    file_transfer rest;
};

// `fd`: the connection (blocking; made O_NONBLOCK while sendfile() sends, and left so for
// `sending`). `keep_alive_ok`: the connection may serve another request after this one.
static_reply answer_static(const static_files& files, const protocol::request_head& head, int fd,
                           bool keep_alive_ok, request_tracker& tracker, int worker_id);

}  // namespace gantry::server
