// The listeners' options: where gantry listens, and how long and how much a connection may
// take.
#include <algorithm>
#include <stdexcept>

#include "server/net/trusted_proxies.hpp"
#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"
#include "server/process/user_ids.hpp"

namespace gantry::server::rows {
namespace {

void store_chmod(options& o, std::string_view value) {
    o.chmod_socket = parse_mode(value);
}

shown show_chmod(const options& o) {
    return o.chmod_socket == 0660 ? shown{} : shown{quoted(fmt::format("{:o}", o.chmod_socket))};
}

// USER[:GROUP]; names are looked up when the socket is bound, numbers are checked here.
void store_chown(options& o, std::string_view value) {
    const auto colon = value.find(':');
    if (value.empty() || colon == 0 || colon + 1 == value.size()) {
        throw std::invalid_argument("expected USER or USER:GROUP");
    }
    parse_numeric_id(value.substr(0, colon));
    if (colon != std::string_view::npos) {
        parse_numeric_id(value.substr(colon + 1));
    }
    o.chown_socket = value;
}

option_def chown_row() {
    option_def row = text("chown-socket", "", section::net,
                          "owner of unix sockets: USER[:GROUP] (default group: the user's)",
                          &options::chown_socket);
    row.store = store_chown;
    return row;
}

// uWSGI's `http` starts a router process; gantry's workers speak HTTP themselves.
option_def http_row() {
    option_def row = list("http", "", section::net,
                          "uWSGI's HTTP router address: served by gantry's own HTTP socket",
                          &options::http_sockets);
    row.store = [](options& o, std::string_view v) {
        non_empty(v);
        o.http_sockets.emplace_back(v);
        o.config_notices.push_back(fmt::format(
            "http {}: served by gantry's own HTTP socket in each worker (no router process)", v));
    };
    row.show = [](const options&) { return shown{}; };  // shown as http-socket
    row.uwsgi_note = "an --http-socket";
    return row;
}

// uWSGI's HTTP router's I/O timeout: gantry's per-read/write stall limit.
option_def http_timeout_row() {
    option_def row = duration("http-timeout", section::net, "4s",
                              "uWSGI's HTTP router timeout: sets --socket-timeout",
                              &options::socket_timeout, 86400, 1);
    row.show = [](const options&) { return shown{}; };  // shown as socket-timeout
    row.uwsgi_note = "sets --socket-timeout";
    return row;
}

void store_protocol(options& o, std::string_view v) {
    if (v != "uwsgi" && v != "http") {
        throw std::invalid_argument(
            "expected uwsgi or http (for fastcgi or scgi, speak uwsgi from nginx: uwsgi_pass)");
    }
    o.socket_speaks_http = v == "http";
}

// Above 65535 cannot be a uwsgi vars block (its size is 16 bits): uWSGI allowed it for its
// other protocols; gantry takes the largest that means anything, and says so.
void store_buffer_size(options& o, std::string_view v) {
    constexpr std::uint64_t most = 65535;
    const std::uint64_t n = parse_size(v, std::uint64_t{1} << 30);
    if (n > most) {
        o.config_warnings.push_back(fmt::format(
            "buffer-size {}: above the uwsgi protocol's largest vars block; {} is used", n, most));
    }
    o.buffer_size = std::min(n, most);
}

// gunicorn's name and default (plus unix-socket peers, which only those allowed to open the
// socket file can be); uWSGI has no such option: behind uwsgi_pass nginx sends REMOTE_ADDR.
option_def forwarded_row() {
    option_def row = text("forwarded-allow-ips", "", section::net,
                          "HTTP socket peers whose X-Forwarded-For and X-Forwarded-Proto set "
                          "REMOTE_ADDR and wsgi.url_scheme: addresses, networks, unix, * "
                          "(\"\": nobody)",
                          &options::forwarded_allow_ips);
    row.default_text = "127.0.0.1,::1,unix";
    row.store = [](options& o, std::string_view v) {
        trusted_proxies::parse(v);  // throws, naming the element, before anything is kept
        o.forwarded_allow_ips = v;
    };
    row.show = [](const options& o) {
        return o.forwarded_allow_ips == defaults().forwarded_allow_ips
                   ? shown{}
                   : shown{quoted(o.forwarded_allow_ips)};
    };
    return row;
}

}  // namespace

std::vector<option_def> net_rows() {
    using o = options;
    const auto net = section::net;
    return {
        list("socket", "s uwsgi-socket", net,
             "uwsgi-protocol listener: HOST:PORT, :PORT or /path.sock", &o::sockets),
        list("http-socket", "http11-socket", net,
             "HTTP/1.1 listener for clients and load balancers: HOST:PORT", &o::http_sockets),
        duration("http-keepalive-timeout", net, "5s",
                 "how long an idle keep-alive connection stays open", &o::http_keepalive_timeout,
                 3600),
        duration("http-header-timeout", net, "10s",
                 "a request head (uwsgi or HTTP) must be whole this long after its first byte; "
                 "else 408 and close",
                 &o::http_header_timeout, 3600, 1),
        number("max-connections", "", net, "1000",
               "open HTTP connections per worker; past it new ones wait in the listen queue",
               &o::max_connections, 1, 1000000),
        {"chmod-socket", "", net, value_type::text, false, "660",
         "mode of unix sockets, given as they are created (octal)", store_chmod, show_chmod},
        chown_row(),
        number("listen", "l", net, "1024", "listen queue size (clamped to net.core.somaxconn)",
               &o::listen, 1, 65535),
        [] {
            option_def row = size("buffer-size", "b", section::net, "65535",
                                  "largest uwsgi vars block accepted (at most 65535)",
                                  &options::buffer_size, 65535);
            row.store = store_buffer_size;
            return row;
        }(),
        http_row(),
        http_timeout_row(),
        forwarded_row(),
        {"protocol", "", net, value_type::text, false, "uwsgi",
         "what --socket listeners speak: uwsgi, or http (they become --http-socket)",
         store_protocol, [](const o&) { return shown{}; }},
        size("limit-post", "", net, "off", "largest request body accepted; larger ones get 413",
             &o::limit_post, std::uint64_t{1} << 50),
        duration("socket-timeout", net, "4s",
                 "how long one read or write on a connection may wait without progress",
                 &o::socket_timeout, 86400, 1),
        duration("body-timeout", net, "60s",
                 "total time a request may wait for its body to arrive; else 408 (or a cut "
                 "request) and close",
                 &o::body_timeout, 86400, 1),
        duration("send-timeout", net, "60s",
                 "total time a response may wait for the client to take it; else the "
                 "connection is closed",
                 &o::send_timeout, 86400, 1),
    };
}

}  // namespace gantry::server::rows
