// The few responses the server writes itself, before or instead of the application's: the
// interim 100 Continue, and a whole response for a request that was refused or failed (the
// one place such a response is built, on the HTTP and the uwsgi path alike).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace gantry::protocol {

// RFC 9110 10.1.1: for a request that expects_continue(), once the server is about to read
// the body (and never after refusing it: then the error response goes instead).
inline constexpr std::string_view http_continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

// The status that answers a refused request: 431 for http_header_too_large, 413 for
// http_body_too_large, 505 for http_unsupported_version, 400 for any other error.
int http_status_for(std::error_code ec) noexcept;

// RFC 9110's reason phrase for the statuses a server answers itself (its errors, and the
// static file responses: 200, 206, 304, 403, 412, 416); "Error" otherwise.
std::string_view http_reason(int status) noexcept;

// A complete response: status line, text/plain body naming the status, Content-Length and
// "Connection: close" (after a refused request the rest of its bytes cannot be framed, so
// the connection must end), e.g. "HTTP/1.1 413 Content Too Large\r\n...". `status` is
// clamped to 100..999. To a HEAD request (`head_request`), the same head without the body
// (RFC 9110 9.3.2).
std::string http_error_response(int status, bool head_request = false);

}  // namespace gantry::protocol
