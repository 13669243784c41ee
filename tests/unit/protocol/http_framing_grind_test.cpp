// The framer's output read back by another HTTP implementation (Beast's response_parser), as
// in the parsegrind of the request parser: each response is read whole, split in two at every
// byte, and one byte per read; every way must give the same message, the expected one, and
// leave the next response on the connection untouched (the framing ends exactly where it
// says).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <catch2/catch.hpp>

#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/http_framing.hpp"
#include "protocol/http_response.hpp"

namespace http = boost::beast::http;

namespace gantry::protocol {
namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

// What a client made of a response; compared across every way of cutting it.
struct read_back {
    std::string error{};  // Beast's message, or ""
    unsigned status = 0;
    std::string body{};
    bool keep_alive = false;
    std::string leftover{};  // what the client left for the next response

    bool operator==(const read_back&) const = default;
};

std::string describe(const read_back& r) {
    std::ostringstream out;
    out << "{error='" << r.error << "' status=" << r.status << " keep_alive=" << r.keep_alive
        << "\n  body='" << r.body << "'\n  leftover='" << r.leftover << "'}";
    return out.str();
}

// The connection's next response, which must come out whole after the one under test.
const std::string next_response = "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nnext";

// Plays the client: bytes arrive in pieces ending at `cuts`, and the connection ends after
// the last one.
read_back read_response(std::string_view wire, const std::vector<std::size_t>& cuts,
                        bool head_request) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.skip(head_request);  // a client knows it sent HEAD
    // Not boost::none: Beast 1.74 compares a Content-Length with it as "len_ > body_limit_",
    // which an empty optional always loses.
    parser.body_limit(std::uint64_t{1} << 30);
    read_back got;
    std::string buf;
    std::size_t pos = 0;
    auto cut = cuts.begin();
    boost::beast::error_code ec;
    while (!parser.is_done()) {
        const std::size_t n = parser.put(boost::asio::const_buffer(buf.data(), buf.size()), ec);
        buf.erase(0, n);
        if (ec && ec != http::error::need_more) {
            break;
        }
        ec = {};
        if (n > 0 || parser.is_done()) {
            continue;
        }
        if (pos == wire.size()) {
            parser.put_eof(ec);  // the server closed the connection
            break;
        }
        const std::size_t end = cut != cuts.end() ? *cut++ : wire.size();
        buf.append(wire.substr(pos, end - pos));
        pos = end;
    }
    got.error = ec ? ec.message() : "";
    if (parser.is_header_done()) {
        got.status = parser.get().result_int();
        got.keep_alive = parser.keep_alive();
    }
    got.body = parser.get().body();
    got.leftover = buf + std::string(wire.substr(pos));
    return got;
}

// A response as response_writer sends it: the head, then each piece the app offers, framed.
struct response_case {
    std::string_view name{};
    connection_framing conn{};
    std::string status = "200 OK";
    header_list headers{};
    std::vector<std::string> pieces{};
    std::optional<std::uint64_t> known_total{};
    bool head_request = false;
    // What the client must read.
    std::string body{};
    bool keep_alive = true;
};

std::string serialize(const response_case& c, response_framer& framer) {
    response_head head;
    framer.reset(c.conn, c.head_request);
    REQUIRE_FALSE(head.start("HTTP/1.1", c.status));
    framer.start(head.status_code());
    for (const auto& [name, value] : c.headers) {
        if (framer.check(name, value) == header_verdict::pass) {
            REQUIRE_FALSE(head.add(name, value));
        }
    }
    framer.finish_head(head, c.known_total);
    std::string wire(head.finish());
    for (const std::string& piece : c.pieces) {
        const std::uint64_t n = framer.admit(piece.size());
        wire.append(framer.chunk_start(n).view()).append(piece, 0, n).append(framer.chunk_end(n));
    }
    return wire.append(framer.last_chunk());
}

// Every way of cutting `wire` reads as it does whole, and that is `expected`.
void grind(std::string_view name, const std::string& wire, bool head_request,
           const read_back& expected) {
    INFO(name << "\n" << wire);
    const read_back whole = read_response(wire, {}, head_request);
    INFO("whole: " << describe(whole));
    CHECK(whole == expected);
    for (std::size_t i = 1; i < wire.size(); ++i) {
        const read_back got = read_response(wire, {i}, head_request);
        if (got != whole) {  // one assertion per case, not per byte
            INFO("split at " << i << ": " << describe(got));
            REQUIRE(got == whole);
        }
    }
    std::vector<std::size_t> every_byte(wire.size());
    std::iota(every_byte.begin(), every_byte.end(), std::size_t{1});
    CHECK(read_response(wire, every_byte, head_request) == whole);
}

void grind(const response_case& c) {
    response_framer framer;
    std::string wire = serialize(c, framer);
    const bool closes = framer.delimiter() == body_delimiter::close;
    // What the server does with the connection is what the client understood.
    if (c.conn.delimit) {
        CHECK(framer.keep_alive() == c.keep_alive);
    }
    read_back expected{.status = static_cast<unsigned>(std::stoi(c.status)),
                       .body = c.body,
                       .keep_alive = c.keep_alive,
                       .leftover = closes ? "" : next_response};
    if (!closes) {
        wire += next_response;  // a close-delimited body would swallow it
    }
    grind(c.name, wire, c.head_request, expected);
}

const connection_framing uwsgi{};
const connection_framing http11{.delimit = true, .keep_alive = true, .chunked_ok = true};
const connection_framing http10{.delimit = true, .keep_alive = true, .chunked_ok = false};
const connection_framing http11_close{.delimit = true, .keep_alive = false, .chunked_ok = true};

const std::string big(5000, 'b');  // a chunk-size line of four hex digits

TEST_CASE("the framer's responses read back the same however they are cut", "[framing]") {
    const std::vector<response_case> cases = {
        {.name = "generator: chunked",
         .conn = http11,
         .pieces = {"hello", "", " world", big},
         .body = "hello world" + big},
        {.name = "list: Content-Length of the known total",
         .conn = http11,
         .pieces = {"hel", "lo"},
         .known_total = 5,
         .body = "hello"},
        {.name = "empty list: Content-Length: 0", .conn = http11, .known_total = 0},
        {.name = "declared Content-Length, excess cut",
         .conn = http11,
         .headers = {{"Content-Length", "5"}},
         .pieces = {"0123456789"},
         .body = "01234"},
        {.name = "same Content-Length twice",
         .conn = http11,
         .headers = {{"Content-Length", "2"}, {"Content-Length", "2"}},
         .pieces = {"ok"},
         .body = "ok"},
        {.name = "HTTP/1.0, known length: kept alive",
         .conn = http10,
         .pieces = {"abc"},
         .known_total = 3,
         .body = "abc"},
        {.name = "HTTP/1.0, unknown length: ends at close",
         .conn = http10,
         .pieces = {"abc", "def"},
         .body = "abcdef",
         .keep_alive = false},
        {.name = "client said close",
         .conn = http11_close,
         .pieces = {"abc"},
         .known_total = 3,
         .body = "abc",
         .keep_alive = false},
        {.name = "app said close, and sent its own framing headers",
         .conn = http11,
         .headers = {{"Connection", "close"},
                     {"Transfer-Encoding", "chunked"},
                     {"Keep-Alive", "timeout=5"},
                     {"Upgrade", "h2c"}},
         .pieces = {"3\r\nabc\r\n0\r\n\r\n"},
         .body = "3\r\nabc\r\n0\r\n\r\n",
         .keep_alive = false},
        {.name = "app's Transfer-Encoding dropped: chunked by the codec",
         .conn = http11,
         .headers = {{"Transfer-Encoding", "chunked"}},
         .pieces = {"abc"},
         .body = "abc"},
        {.name = "204 with a body offered",
         .conn = http11,
         .status = "204 No Content",
         .pieces = {"not sent"}},
        {.name = "304 with the representation's length",
         .conn = http11,
         .status = "304 Not Modified",
         .headers = {{"Content-Length", "1234"}, {"ETag", "\"x\""}},
         .pieces = {"not sent"}},
        {.name = "HEAD with the length GET would send",
         .conn = http11,
         .headers = {{"Content-Length", "5"}},
         .pieces = {"hello"},
         .head_request = true},
        {.name = "HEAD of a generator", .conn = http11, .pieces = {"hello"}, .head_request = true},
        {.name = "uwsgi: the app's Content-Length",
         .conn = uwsgi,
         .headers = {{"Content-Length", "3"}},
         .pieces = {"abcdef"},
         .body = "abc"},
        {.name = "uwsgi: ends at close",
         .conn = uwsgi,
         .pieces = {"abc", big},
         .body = "abc" + big,
         .keep_alive = false},
    };
    for (const response_case& c : cases) {
        grind(c);
    }
}

TEST_CASE("a body short of its Content-Length leaves the client wanting", "[framing]") {
    const response_case c{.name = "short",
                          .conn = http11,
                          .headers = {{"Content-Length", "10"}},
                          .pieces = {"01234"}};
    response_framer framer;
    const std::string wire = serialize(c, framer);
    CHECK_FALSE(framer.keep_alive());  // so the server closes, and the client sees why
    const read_back expected{.error = http::make_error_code(http::error::partial_message).message(),
                             .status = 200,
                             .body = "01234",
                             .keep_alive = true};
    grind(c.name, wire, false, expected);
}

TEST_CASE("the canned responses read back whole, with their body or none to HEAD",
          "[http_response]") {
    for (int status : {400, 404, 408, 413, 431, 500, 503}) {
        const std::string wire = http_error_response(status);
        const std::string body = wire.substr(wire.find("\r\n\r\n") + 4);
        CHECK(body.starts_with(std::to_string(status) + " "));
        grind("canned", wire + next_response, false,
              {.status = static_cast<unsigned>(status),
               .body = body,
               .keep_alive = false,
               .leftover = next_response});
        grind("canned to HEAD", http_error_response(status, true) + next_response, true,
              {.status = static_cast<unsigned>(status),
               .keep_alive = false,
               .leftover = next_response});
    }
}

}  // namespace
}  // namespace gantry::protocol
