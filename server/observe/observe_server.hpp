// The master's small servers for people and tools looking in: uWSGI's stats server (the
// JSON on connect, or over HTTP with --stats-http) and the metrics listener (HTTP:
// /metrics, /healthz, /readyz). They run on the master's loop, never block it (every read
// and write is asynchronous, each connection has a deadline) and never touch a worker:
// what they answer is built from the scoreboard and the master's own state.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace gantry::server {

struct observe_reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
};

class observe_server {
public:
    enum class mode {
        raw,   // uWSGI's stats server: the document on connect, then close
        http,  // one HTTP/1.x request per connection, answered and closed
    };
    // Builds the answer for a request path ("" in raw mode).
    using answer = std::function<observe_reply(std::string_view method, std::string_view path)>;

    // Serves on `listening_fd`, which stays the caller's (it is not closed here).
    observe_server(boost::asio::io_context& io, int listening_fd, std::string name, mode m,
                   answer a);
    ~observe_server();
    observe_server(const observe_server&) = delete;
    observe_server& operator=(const observe_server&) = delete;

    void start();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace gantry::server
