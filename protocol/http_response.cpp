#include "protocol/http_response.hpp"

#include <algorithm>

#include "protocol/errc.hpp"

namespace gantry::protocol {

int http_status_for(std::error_code ec) noexcept {
    if (ec == errc::http_header_too_large) {
        return 431;
    }
    if (ec == errc::http_body_too_large) {
        return 413;
    }
    if (ec == errc::http_unsupported_version) {
        return 505;
    }
    return 400;
}

std::string_view http_reason(int status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 206:
            return "Partial Content";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 408:
            return "Request Timeout";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Error";
    }
}

std::string http_error_response(int status, bool head_request) {
    status = std::clamp(status, 100, 999);
    const std::string code = std::to_string(status);
    const std::string_view reason = http_reason(status);
    const std::string body = code + " " + std::string(reason) + "\n";
    std::string out;
    out.reserve(128 + 2 * reason.size());
    out.append("HTTP/1.1 ").append(code).append(" ").append(reason).append("\r\n");
    out.append("Content-Type: text/plain; charset=utf-8\r\n");
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    out.append("Connection: close\r\n\r\n");
    if (!head_request) {
        out.append(body);
    }
    return out;
}

}  // namespace gantry::protocol
