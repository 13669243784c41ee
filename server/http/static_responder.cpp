#include "server/http/static_responder.hpp"

#include <fcntl.h>

#include <chrono>
#include <ctime>

#include "protocol/http_response.hpp"
#include "protocol/static_response.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"

namespace gantry::server {
namespace {

std::string_view var(const protocol::request_head& head, std::string_view key) {
    return head.find(key).value_or(std::string_view{});
}

void set_nonblocking(int fd, bool on) noexcept {
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

std::int64_t unix_now() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

// The path as the client sent it: REQUEST_URI up to its query (PATH_INFO, already decoded,
// only when a front sends no REQUEST_URI).
std::string_view raw_path(const protocol::request_head& head) {
    std::string_view uri = var(head, "REQUEST_URI");
    if (uri.empty()) {
        return var(head, "PATH_INFO");
    }
    return uri.substr(0, uri.find_first_of("?#"));
}

void log_static(int worker_id, const protocol::request_head& head, int status, std::uint64_t bytes,
                std::chrono::steady_clock::time_point start) {
    embed::call_result r;
    r.status = status;
    r.bytes_sent = bytes;
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    log_request(worker_id, head, r, took.count(), true);
}

// 400 and 403: the connection ends with them (the error response says so).
static_reply refuse(int status, std::string_view why, const protocol::request_head& head, int fd,
                    request_tracker& tracker, int worker_id,
                    std::chrono::steady_clock::time_point start) {
    log::warning("worker {}: {} {}: {} ({})", worker_id, var_or_dash(head, "REQUEST_METHOD"),
                 var_or_dash(head, "REQUEST_URI"), why, status);
    file_transfer t;
    t.head = protocol::http_error_response(status, var(head, "REQUEST_METHOD") == "HEAD");
    int err = 0;
    send_now(fd, t, err);  // a client that does not take a few hundred bytes gets nothing
    tracker.end_static(status, t.head_sent);
    log_static(worker_id, head, status, t.head_sent, start);
    return {.what = static_reply::kind::close, .keep_alive = false, .rest = {}};
}

}  // namespace

static_reply answer_static(const static_files& files, const protocol::request_head& head, int fd,
                           bool keep_alive_ok, request_tracker& tracker, int worker_id) {
    const std::string_view method = var(head, "REQUEST_METHOD");
    // Other methods, and a request with a body, are the app's (as uWSGI's static-map).
    if ((method != "GET" && method != "HEAD") || head.content_length != 0) {
        return {};
    }
    const auto start = std::chrono::steady_clock::now();
    static_files::found f;
    switch (files.lookup(raw_path(head), var(head, "HTTP_ACCEPT_ENCODING"), f)) {
        case static_files::outcome::not_static:
            return {};
        case static_files::outcome::fall_through:
            log::debug("worker {}: {}: not a static file ({}); the app answers", worker_id,
                       var_or_dash(head, "REQUEST_URI"), f.why);
            return {};
        case static_files::outcome::bad_request:
            tracker.begin(head);
            return refuse(400, f.why, head, fd, tracker, worker_id, start);
        case static_files::outcome::forbidden:
            tracker.begin(head);
            return refuse(403, f.why, head, fd, tracker, worker_id, start);
        case static_files::outcome::serve:
            break;
    }
    tracker.begin(head);
    const protocol::static_decision d =
        protocol::decide_static({.head = method == "HEAD",
                                 .if_match = var(head, "HTTP_IF_MATCH"),
                                 .if_unmodified_since = var(head, "HTTP_IF_UNMODIFIED_SINCE"),
                                 .if_none_match = var(head, "HTTP_IF_NONE_MATCH"),
                                 .if_modified_since = var(head, "HTTP_IF_MODIFIED_SINCE"),
                                 .range = var(head, "HTTP_RANGE"),
                                 .if_range = var(head, "HTTP_IF_RANGE")},
                                f.facts, f.etag);
    const bool with_body = method != "HEAD" && (d.status == 200 || d.status == 206);
    file_transfer t;
    t.head = protocol::static_response_head({.status = d.status,
                                             .http11 = var(head, "SERVER_PROTOCOL") != "HTTP/1.0",
                                             .keep_alive = keep_alive_ok,
                                             .content_type = f.content_type,
                                             .content_encoding = f.content_encoding,
                                             .etag = f.etag,
                                             .last_modified = f.facts.mtime_sec,
                                             .cache_control = f.cache_control,
                                             .expires = f.expires,
                                             .vary_accept_encoding = f.vary_accept_encoding,
                                             .file_size = f.facts.size,
                                             .body = d.body},
                                            unix_now());
    if (with_body) {
        t.file = std::move(f.file);
        t.offset = d.body.first;
        t.left = d.body.length;
    }
    const std::uint64_t total = t.head.size() + t.left;
    // A head alone (304, 416, HEAD) goes with MSG_DONTWAIT on the blocking socket; sendfile()
    // and the sender need it O_NONBLOCK. (Reading a small body into the head's buffer to
    // spare sendfile() and these fcntl() calls was tried: 13 -> 8 syscalls per 10 KiB
    // request, no change in CPU per request; the copy costs what the calls did.)
    const bool nonblocking = t.left > 0;
    if (nonblocking) {
        set_nonblocking(fd, true);
    }
    int err = 0;
    const bool ok = send_now(fd, t, err);
    tracker.end_static(d.status, total);
    log_static(worker_id, head, d.status, total, start);
    if (!ok) {
        return {.what = static_reply::kind::close, .keep_alive = false, .rest = {}};
    }
    if (!t.done()) {
        if (!nonblocking) {
            set_nonblocking(fd, true);
        }
        return {
            .what = static_reply::kind::sending, .keep_alive = keep_alive_ok, .rest = std::move(t)};
    }
    if (nonblocking) {
        set_nonblocking(fd, false);
    }
    return {.what = static_reply::kind::finished, .keep_alive = keep_alive_ok, .rest = {}};
}

}  // namespace gantry::server
