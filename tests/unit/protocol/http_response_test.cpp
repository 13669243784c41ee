// The responses the HTTP codec writes itself.
#include "protocol/http_response.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "protocol/errc.hpp"

namespace gantry::protocol {
namespace {

TEST_CASE("100 Continue", "[http_response]") {
    CHECK(http_continue_response == "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST_CASE("each refusal has its status", "[http_response]") {
    CHECK(http_status_for(errc::http_header_too_large) == 431);
    CHECK(http_status_for(errc::http_body_too_large) == 413);
    CHECK(http_status_for(errc::http_unsupported_version) == 505);
    CHECK(http_status_for(errc::http_bad_request) == 400);
    CHECK(http_status_for(errc::http_bad_chunk) == 400);
    CHECK(http_status_for(errc::http_content_length_with_chunked) == 400);
    CHECK(http_status_for(errc::bad_content_length) == 400);
}

TEST_CASE("an error response is whole, framed and closing", "[http_response]") {
    CHECK(http_error_response(413) ==
          "HTTP/1.1 413 Content Too Large\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 22\r\n"
          "Connection: close\r\n"
          "\r\n"
          "413 Content Too Large\n");
    const std::string r431 = http_error_response(431);
    CHECK(r431.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    CHECK(r431.ends_with("\r\n\r\n431 Request Header Fields Too Large\n"));
    CHECK(http_error_response(400).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(http_error_response(599).starts_with("HTTP/1.1 599 Error\r\n"));
    CHECK(http_error_response(7).starts_with("HTTP/1.1 100 "));
}

}  // namespace
}  // namespace gantry::protocol
