// The loaded WSGI application and the bridge that calls it for one request: environ in,
// status, headers and body out, close() on every path. An application failure never
// escapes as an exception: it becomes a 500 (or an aborted response) and a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "embed/byte_io.hpp"
#include "protocol/http_framing.hpp"
#include "protocol/request_head.hpp"

namespace gantry::embed {

struct app_spec {
    std::string module;     // "pkg.mod", imported from sys.path
    std::string wsgi_file;  // or a file path, loaded as a module
    std::string callable = "application";
};

// An application and the URL prefix it serves ("" for the root, else "/prefix" without a
// trailing slash). A request goes to the longest prefix that PATH_INFO starts with at a '/'
// boundary; the prefix moves from PATH_INFO into SCRIPT_NAME.
struct app_mount {
    std::string prefix;
    app_spec spec;
};

struct wsgi_settings {
    bool multithread = false;
    bool multiprocess = false;
};

// What the connection allows the response: the codec's (protocol/http_framing.hpp) input.
using response_framing = protocol::connection_framing;

enum class outcome {
    ok,
    app_error,         // the app failed before sending anything: the client got a 500
    response_aborted,  // the app failed after the head was sent: the response is cut short
    client_gone,       // the client went away while the response was being written
    body_failed,       // the client stalled or broke off while sending the body
    no_app,            // no mounted application serves the path: the client got a 404
};

struct call_result {
    outcome result = outcome::ok;
    int status = 0;
    std::uint64_t bytes_sent = 0;  // head and body
    std::uint64_t head_bytes = 0;  // of which the head (status line and headers)
    int header_count = 0;          // the headers in that head
    std::string message;           // the traceback or cause when result != ok
    std::string warning;      // something the app got wrong that was repaired (e.g. Content-Length)
    bool keep_alive = false;  // the response was delimited: the connection may serve another
};

class wsgi_app {
public:
    // Imports the applications; throws app_load_error with the traceback. Needs an interpreter.
    wsgi_app(const std::vector<app_mount>& mounts, const wsgi_settings& settings);
    ~wsgi_app();
    wsgi_app(const wsgi_app&) = delete;
    wsgi_app& operator=(const wsgi_app&) = delete;

    // Calls the application for one request. Takes the GIL itself; releases it around I/O.
    call_result handle(const protocol::request_head& head, byte_source& body, byte_sink& out,
                       const response_framing& framing = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace gantry::embed
