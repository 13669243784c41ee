// Serves one accepted uwsgi connection: reads the head into a buffer reused from request to
// request, hands it to the application, logs the outcome. A malformed request costs only its
// connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "embed/wsgi_app.hpp"
#include "protocol/request_parser.hpp"
#include "server/http/file_sender.hpp"
#include "server/net/io_budget.hpp"
#include "server/net/lingering_closer.hpp"
#include "server/net/peer_address.hpp"
#include "server/scoreboard/request_tracker.hpp"
#include "server/util/unique_fd.hpp"
#include "server/worker/worker.hpp"

namespace gantry::server {

class connection_handler {
public:
    // `sender`: where the rest of a slow static response goes (with settings.statics).
    connection_handler(const worker_settings& settings, embed::wsgi_app& app,
                       request_tracker tracker, lingering_closer& closer, file_sender* sender);

    // Serves the request on `conn`, which it closes. `peer` names the client in logs.
    void serve(unique_fd conn, lazy_peer peer);

private:
    // Reads until the parser has the whole head; returns the bytes received, 0 on failure.
    std::size_t read_head(int fd, lazy_peer peer);
    // Answers 413 without reading the body (nor handing it to the app).
    void refuse_body(unique_fd conn, lazy_peer peer);

    int worker_id_;
    std::uint64_t limit_post_;
    io_timeouts timeouts_;
    lingering_closer& closer_;  // closes a connection whose body was not read
    const static_files* statics_;
    file_sender* sender_;
    embed::wsgi_app& app_;
    request_tracker tracker_;
    protocol::request_parser parser_;
    std::vector<std::byte> buffer_;
    std::size_t head_size_ = 0;
};

}  // namespace gantry::server
