// response_head: the bytes it writes, and everything it must refuse so that a WSGI app
// cannot split the response (a control character in a value, a non-token name, a bad status).
#include "protocol/response_head.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "protocol/errc.hpp"

namespace gantry::protocol {
namespace {

using namespace std::string_view_literals;

TEST_CASE("a head is the status line, each header, then a blank line", "[response_head]") {
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "200 OK"));
    REQUIRE_FALSE(head.add("Content-Type", "text/plain; charset=utf-8"));
    REQUIRE_FALSE(head.add("Content-Length", "5"));
    CHECK(head.finish() ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 5\r\n"
          "\r\n");
    CHECK(head.status_code() == 200);
}

TEST_CASE("a head without headers", "[response_head]") {
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.0", "204 No Content"));
    CHECK(head.finish() == "HTTP/1.0 204 No Content\r\n\r\n");
    CHECK(head.status_code() == 204);
}

TEST_CASE("start() begins a new head in the same buffer", "[response_head]") {
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "500 Internal Server Error"));
    REQUIRE_FALSE(head.add("X-First", "1"));
    CHECK(head.finish() == "HTTP/1.1 500 Internal Server Error\r\nX-First: 1\r\n\r\n");

    REQUIRE_FALSE(head.start("HTTP/1.1", "404 Not Found"));
    REQUIRE_FALSE(head.add("Content-Length", "0"));
    CHECK(head.finish() == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    CHECK(head.status_code() == 404);
}

TEST_CASE("the reason phrase and values are passed through as given", "[response_head]") {
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "200 Très Bien"));
    // A repeated name is two lines (Set-Cookie must never be folded).
    REQUIRE_FALSE(head.add("Set-Cookie", "a=1; Path=/"));
    REQUIRE_FALSE(head.add("Set-Cookie", "b=2"));
    REQUIRE_FALSE(head.add("X-Empty", ""));
    REQUIRE_FALSE(head.add("X-Tab", "a\tb"));
    REQUIRE_FALSE(head.add("X-Latin-1", "caf\xe9"));
    CHECK(head.finish() ==
          "HTTP/1.1 200 Très Bien\r\n"
          "Set-Cookie: a=1; Path=/\r\n"
          "Set-Cookie: b=2\r\n"
          "X-Empty: \r\n"
          "X-Tab: a\tb\r\n"
          "X-Latin-1: caf\xe9\r\n"
          "\r\n");
}

TEST_CASE("a value with a control character but tab is refused and leaves the head as it was",
          "[response_head]") {
    const auto value =
        GENERATE("a\rb"sv, "a\nb"sv, "a\r\nSet-Cookie: evil=1"sv, "\r\n"sv, "a\0b"sv, "\0"sv,
                 "trailing\n"sv, "\rleading"sv, "a\x01"sv, "\x1b[31m"sv, "del\x7f"sv, "a\vb"sv);
    INFO("value of " << value.size() << " bytes");
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "200 OK"));
    REQUIRE_FALSE(head.add("X-Before", "1"));
    CHECK(head.add("X-Bad", value) == errc::invalid_header);
    CHECK_FALSE(response_head::valid_value(value));
    CHECK(head.finish() == "HTTP/1.1 200 OK\r\nX-Before: 1\r\n\r\n");
}

TEST_CASE("a header name that is not an RFC 9110 token is refused", "[response_head]") {
    const auto name = GENERATE(""sv, " "sv, "X Header"sv, " X"sv, "X "sv, "X:"sv, ":authority"sv,
                               "X\r\nY"sv, "X\nY"sv, "X\0Y"sv, "X\tY"sv, "X(1)"sv, "X/Y"sv,
                               "X\"Y"sv, "X@Y"sv, "X=Y"sv, "X;Y"sv, "X,Y"sv, "X{Y}"sv, "X[Y]"sv,
                               "X\\Y"sv, "X?Y"sv, "X<Y>"sv, "Caf\xe9"sv, "X\x7f"sv);
    INFO("name '" << name << "'");
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "200 OK"));
    CHECK(head.add(name, "v") == errc::invalid_header);
    CHECK_FALSE(response_head::valid_name(name));
    CHECK(head.finish() == "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_CASE("every tchar is allowed in a name", "[response_head]") {
    const auto name =
        GENERATE("Content-Type"sv, "x"sv, "X-1"sv, "!#$%&'*+-.^_`|~"sv, "0123456789"sv,
                 "abcdefghijklmnopqrstuvwxyz"sv, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"sv);
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "200 OK"));
    CHECK_FALSE(head.add(name, "v"));
    CHECK(head.finish() == "HTTP/1.1 200 OK\r\n" + std::string(name) + ": v\r\n\r\n");
}

TEST_CASE("a status that is not \"NNN Reason\" is refused", "[response_head]") {
    const auto status =
        GENERATE("200"sv, "OK 200"sv, "20 OK"sv, "200OK"sv, "200 OK\r\n"sv, ""sv, " 200 OK"sv,
                 "2000 OK"sv, "20x OK"sv, "abc OK"sv, "200\tOK"sv, "200 O\nK"sv, "200 OK\0"sv,
                 "200 OK\r"sv, "\xd9\xa2\xd9\xa0\xd9\xa0 OK"sv);
    INFO("status '" << status << "'");
    response_head head;
    CHECK(head.start("HTTP/1.1", status) == errc::invalid_status);
    CHECK_FALSE(response_head::valid_status(status));
    CHECK(head.status_code() == 0);
}

// PEP 3333: "a status code and a reason phrase, in that order and separated by a single
// space, with no surrounding whitespace or other characters".
TEST_CASE("a status with surrounding whitespace or no reason is refused", "[response_head]") {
    response_head head;
    for (const char* status : {"200 OK ", "200 OK\t", "200  OK", "200 ", "200 \tOK"}) {
        CAPTURE(status);
        CHECK(head.start("HTTP/1.1", status) == errc::invalid_status);
    }
}

TEST_CASE("a refused status clears the previous head and status code", "[response_head]") {
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", "201 Created"));
    REQUIRE(head.status_code() == 201);
    CHECK(head.start("HTTP/1.1", "201") == errc::invalid_status);
    CHECK(head.status_code() == 0);
}

TEST_CASE("status_code() is the three digits of the status", "[response_head]") {
    const auto [status, code] = GENERATE(table<std::string_view, int>({
        {"100 Continue", 100},
        {"200 OK", 200},
        {"301 Moved Permanently", 301},
        {"418 I'm a teapot", 418},
        {"503 Service Unavailable", 503},
        {"599 x", 599},
    }));
    response_head head;
    REQUIRE_FALSE(head.start("HTTP/1.1", status));
    CHECK(head.status_code() == code);
    CHECK(head.finish() == "HTTP/1.1 " + std::string(status) + "\r\n\r\n");
}

}  // namespace
}  // namespace gantry::protocol
