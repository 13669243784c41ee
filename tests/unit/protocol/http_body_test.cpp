// http_request_parser case by case, beyond the corpus: the body's pieces are views into the
// caller's bytes and respect max_data, the head's views are the parser's own, reset() and
// the error after an error, limits on chunk lines and trailers, and the new errc values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "protocol/errc.hpp"
#include "protocol/http_request_parser.hpp"
#include "tests/unit/protocol/http_parsegrind.hpp"

namespace gantry::protocol::test {
namespace {

bool points_into(std::string_view view, std::string_view buf) {
    return std::less_equal<>{}(buf.data(), view.data()) &&
           std::less_equal<>{}(view.data() + view.size(), buf.data() + buf.size());
}

TEST_CASE("body pieces are views into the bytes given, at most max_data long", "[http_body]") {
    const std::string input = chunked_post("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    http_request_parser parser;
    std::error_code ec;
    const std::size_t head = parser.feed(bytes_of(input), ec);
    REQUIRE(parser.done());
    CHECK(parser.head().chunked);
    CHECK(parser.head().content_length == 0);
    std::string_view rest = std::string_view(input).substr(head);
    std::vector<std::string> pieces;
    while (!parser.body_done()) {
        const http_body_piece piece = parser.feed_body(bytes_of(rest), ec, 4);
        REQUIRE_FALSE(ec);
        REQUIRE(piece.consumed > 0);
        const std::string_view data(reinterpret_cast<const char*>(piece.data.data()),
                                    piece.data.size());
        if (!data.empty()) {
            CHECK(points_into(data, rest.substr(0, piece.consumed)));
            pieces.emplace_back(data);
        }
        rest.remove_prefix(piece.consumed);
    }
    CHECK(pieces == std::vector<std::string>{"hell", "o", " wor", "ld"});
    CHECK(rest.empty());
    CHECK_FALSE(parser.finish());
    // Once the body is done, nothing more is taken.
    const std::string next = get("/next");
    CHECK(parser.feed_body(bytes_of(next), ec).consumed == 0);
    CHECK(parser.feed(bytes_of(next), ec) == 0);
    CHECK_FALSE(ec);
}

TEST_CASE("a Content-Length body is yielded as it arrives", "[http_body]") {
    const std::string input = "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789";
    http_request_parser parser;
    std::error_code ec;
    const std::size_t head = parser.feed(bytes_of(input), ec);
    REQUIRE(head == input.size() - 10);
    CHECK(parser.head().content_length == 10);
    CHECK_FALSE(parser.body_done());
    CHECK(parser.finish() == errc::http_truncated_body);
    const http_body_piece first = parser.feed_body(bytes_of(input.substr(head, 3)), ec);
    CHECK(first.consumed == 3);
    CHECK(first.data.size() == 3);
    const http_body_piece rest = parser.feed_body(bytes_of(input.substr(head + 3) + "GET"), ec);
    CHECK(rest.consumed == 7);  // not a byte of the next request
    CHECK(parser.body_done());
    CHECK_FALSE(parser.finish());
}

TEST_CASE("no body to read: feed_body() before done() and for a GET", "[http_body]") {
    http_request_parser parser;
    std::error_code ec;
    const std::string input = get("/");
    CHECK(parser.feed_body(bytes_of(input), ec).consumed == 0);
    CHECK_FALSE(ec);
    REQUIRE(parser.feed(bytes_of(input), ec) == input.size());
    CHECK(parser.body_done());
    CHECK(parser.head().content_length == 0);
    CHECK_FALSE(parser.head().chunked);
}

TEST_CASE("the head's strings are the parser's, valid until reset()", "[http_request_parser]") {
    std::string input = get("/a%20b?q=1", "Host: h:1\r\nX-A: 1\r\nX-A: 2\r\n");
    http_request_parser parser;
    std::error_code ec;
    REQUIRE(parser.feed(bytes_of(input), ec) == input.size());
    parser.add_var("REMOTE_ADDR", std::string("10.0.0.1"));
    for (const var& v : parser.head().vars) {
        INFO(v.key);
        CHECK_FALSE(points_into(v.key, input));
        CHECK_FALSE(points_into(v.value, input));
    }
    std::fill(input.begin(), input.end(), '#');
    const request_head& head = parser.head();
    CHECK(head.find("PATH_INFO") == "/a b");
    CHECK(head.find("HTTP_X_A") == "1, 2");
    CHECK(head.find("SERVER_PORT") == "1");
    CHECK(head.vars.back().key == "REMOTE_ADDR");
    CHECK(head.find("REMOTE_ADDR") == "10.0.0.1");
}

TEST_CASE("reset() readies the parser for the next request, keeping capacity",
          "[http_request_parser]") {
    const std::string first = form_post;
    const std::string second = get("/two", "Host: y\r\nConnection: close\r\n");
    http_request_parser parser;
    std::error_code ec;
    const std::size_t head = parser.feed(bytes_of(first), ec);
    parser.feed_body(bytes_of(first.substr(head)), ec);
    REQUIRE(parser.body_done());
    const auto capacity = parser.head().vars.capacity();
    parser.reset();
    CHECK_FALSE(parser.done());
    CHECK_FALSE(parser.body_done());
    CHECK(parser.head().vars.empty());
    CHECK_FALSE(parser.finish());
    REQUIRE(parser.feed(bytes_of(second), ec) == second.size());
    CHECK(parser.head().vars.capacity() == capacity);
    CHECK_FALSE(parser.head().find("CONTENT_LENGTH"));
    CHECK_FALSE(parser.head().find("CONTENT_TYPE"));
    CHECK(parser.head().find("PATH_INFO") == "/two");
    CHECK_FALSE(parser.keep_alive());

    SECTION("and after an error") {
        parser.reset();
        const std::string bad = "GET / HTTP/1.1\r\n\r\n";
        CHECK(parser.feed(bytes_of(bad), ec) == 0);
        CHECK(ec == errc::http_bad_host);
        // The error sticks until reset().
        CHECK(parser.feed(bytes_of(second), ec) == 0);
        CHECK(ec == errc::http_bad_host);
        CHECK(parser.finish() == errc::http_bad_host);
        parser.reset();
        CHECK(parser.feed(bytes_of(second), ec) == second.size());
        CHECK_FALSE(ec);
    }
}

TEST_CASE("finish() tells a clean close from a truncated request", "[http_request_parser]") {
    http_request_parser parser;
    std::error_code ec;
    CHECK_FALSE(parser.finish());
    CHECK(parser.feed(bytes_of("\r\n"), ec) == 2);  // a client's stray CRLF after a body
    CHECK_FALSE(parser.finish());
    CHECK(parser.feed(bytes_of("G"), ec) == 0);
    CHECK(parser.finish() == errc::http_truncated_head);
}

TEST_CASE("chunk lines and trailers are held to the head's limit", "[http_body]") {
    http_request_parser parser({.max_head = 256, .max_body = std::nullopt});
    std::error_code ec;
    const std::string head = chunked_post("");
    REQUIRE(parser.feed(bytes_of(head), ec) == head.size());
    SECTION("a chunk extension that never ends") {
        const std::string line = "5;" + std::string(300, 'x');
        CHECK(parser.feed_body(bytes_of(line.substr(0, 200)), ec).consumed == 0);
        CHECK_FALSE(ec);
        parser.feed_body(bytes_of(line), ec);
        CHECK(ec == errc::http_bad_chunk);
    }
    SECTION("trailers that never end") {
        std::string trailers = "0\r\n";
        while (trailers.size() <= 256) {
            trailers += "X-T: t\r\n";
        }
        parser.feed_body(bytes_of(trailers), ec);
        CHECK(ec == errc::http_bad_chunk);
    }
}

TEST_CASE("the HTTP errors have their own messages", "[errc]") {
    std::vector<std::string> messages;
    for (int e = static_cast<int>(errc::truncated_header);
         e <= static_cast<int>(errc::http_truncated_body); ++e) {
        const std::error_code ec = static_cast<errc>(e);
        CHECK(ec.category().name() == std::string_view("gantry.protocol"));
        CHECK(ec.message() != "unknown protocol error");
        messages.push_back(ec.message());
    }
    std::sort(messages.begin(), messages.end());
    CHECK(std::adjacent_find(messages.begin(), messages.end()) == messages.end());
}

}  // namespace
}  // namespace gantry::protocol::test
