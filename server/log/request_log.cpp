#include "server/log/request_log.hpp"

#include "server/log/log.hpp"

namespace gantry::server {

log::printable var_or_dash(const protocol::request_head& head, std::string_view key) {
    const auto v = head.find(key);
    return {v && !v->empty() ? *v : std::string_view("-")};
}

void log_request(int worker_id, const protocol::request_head& head, const embed::call_result& r,
                 double millis) {
    if (r.result == embed::outcome::ok && r.warning.empty() && !log::requests_enabled()) {
        return;  // the common case with --disable-logging: nothing to look up
    }
    const auto method = var_or_dash(head, "REQUEST_METHOD");
    const auto uri = var_or_dash(head, "REQUEST_URI");
    switch (r.result) {
        case embed::outcome::ok:
            // Raw: the request line escapes them as its format (text or JSON) needs.
            log::request({.worker = worker_id,
                          .remote = var_or_dash(head, "REMOTE_ADDR").text,
                          .method = method.text,
                          .uri = uri.text,
                          .status = r.status,
                          .bytes = r.bytes_sent,
                          .millis = millis});
            break;
        case embed::outcome::app_error:
            log::error("worker {}: {} {}: the application failed, 500 sent:\n{}", worker_id, method,
                       uri, r.message);
            break;
        case embed::outcome::response_aborted:
            log::error(
                "worker {}: {} {}: the application failed after the response started; "
                "connection closed:\n{}",
                worker_id, method, uri, r.message);
            break;
        case embed::outcome::client_gone:
            log::debug("worker {}: {} {}: {}", worker_id, method, uri, r.message);
            break;
        case embed::outcome::body_failed:
            log::warning("worker {}: {} {}: {}; connection closed", worker_id, method, uri,
                         r.message);
            break;
        case embed::outcome::no_app:
            log::info("worker {}: {} {} {} => 404, no application mounted there", worker_id,
                      var_or_dash(head, "REMOTE_ADDR"), method, uri);
            break;
    }
    if (!r.warning.empty()) {
        log::warning("worker {}: {} {}: {}", worker_id, method, uri, r.warning);
    }
}

}  // namespace gantry::server
