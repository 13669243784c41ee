// uWSGI's --log-format: a request-line template such as
//   %(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size)
// compiled once at start-up into literal pieces and variable ids, so that writing a line
// only appends. The variables and what each writes are uWSGI's (core/logging.c,
// uwsgi_register_logchunks); one gantry cannot know is refused when the template is compiled.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::server::log {

enum class request_var : std::uint8_t {
    literal,  // the piece's text, as it is
    // Request strings, "-" when absent or empty.
    addr,     // REMOTE_ADDR, or the X-Forwarded-For address with log-x-forwarded-for
    user,     // REMOTE_USER
    method,   // REQUEST_METHOD
    uri,      // REQUEST_URI
    proto,    // SERVER_PROTOCOL
    host,     // HTTP_HOST, else SERVER_NAME
    referer,  // HTTP_REFERER
    uagent,   // HTTP_USER_AGENT
    var,      // %(var.NAME): the request var NAME
    // The response.
    status,
    size,     // bytes sent: head and body
    rsize,    // body bytes
    hsize,    // head bytes (status line and headers)
    headers,  // number of response headers
    // The request's numbers.
    cl,         // CONTENT_LENGTH
    vars,       // uWSGI counts each var's key and value: twice the number of vars
    pktsize,    // the size of the request's uwsgi packet (vars block)
    modifier1,  // 0 for an HTTP request, as uWSGI's http-socket
    modifier2,
    // How long it took.
    msecs,   // whole milliseconds
    micros,  // microseconds
    secs,    // seconds, %f
    // When it started (epoch: when the line was written).
    time,     // unix seconds
    tmsecs,   // unix milliseconds
    tmicros,  // unix microseconds
    ltime,    // "%d/%b/%Y:%H:%M:%S %z", local time
    ftime,    // with log-format-strftime and a log-date format: that format; else ltime
    ctime,    // "Thu Nov 24 18:22:48 1986"
    epoch,    // unix seconds, now
    // The process.
    pid,
    wid,     // the worker id, 1..processes
    core,    // the request thread within the worker, 0..threads-1
    vsz,     // bytes of address space
    rss,     // resident bytes
    vsz_mb,  // %(vszM)
    rss_mb,  // %(rssM)
};

struct format_piece {
    request_var what;
    std::string text;  // the literal, or NAME of %(var.NAME)
};

class request_format {
public:
    // Throws std::invalid_argument naming an unknown or unsupported variable, an empty %(),
    // or an unclosed %(.
    explicit request_format(std::string_view tmpl);

    std::span<const format_piece> pieces() const noexcept { return pieces_; }
    // Whether any piece is `v`: lets the writer skip what no piece needs (/proc reads).
    bool uses(request_var v) const noexcept;

private:
    std::vector<format_piece> pieces_;
};

}  // namespace gantry::server::log
