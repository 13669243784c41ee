// The receive buffer and parser an HTTP connection holds only while a request is under way:
// bytes received go after the unparsed ones, consumed ones are dropped from the front when
// room is wanted, and reset() leaves it as new for the next connection that takes it.
#include <catch2/catch.hpp>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "server/http/request_buffers.hpp"

using namespace gantry::server;

namespace {

void put(request_buffers& rx, std::string_view text) {
    const std::span<std::byte> room = rx.room();
    REQUIRE(room.size() >= text.size());
    std::memcpy(room.data(), text.data(), text.size());
    rx.filled(text.size());
}

std::string_view text_of(std::span<const std::byte> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_CASE("received bytes are parsed from the buffer and consumed ones make room") {
    request_buffers rx({}, 64);
    CHECK(rx.unparsed().empty());
    CHECK(rx.room().size() == 64);
    put(rx, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next");
    std::error_code ec;
    rx.consume(rx.parser().feed(rx.unparsed(), ec));
    REQUIRE_FALSE(ec);
    REQUIRE(rx.parser().done());
    CHECK(rx.parser().head().find("PATH_INFO") == "/");
    CHECK(text_of(rx.unparsed()) == "GET /next");
    // The pipelined request's bytes move to the front: the whole buffer minus them is free.
    CHECK(rx.room().size() == 64 - 9);
    CHECK(text_of(rx.unparsed()) == "GET /next");
}

TEST_CASE("a buffer filled with one unfinished head is full") {
    request_buffers rx({}, 16);
    put(rx, "GET /0123456789a");
    CHECK(rx.full());
    rx.consume(4);
    CHECK_FALSE(rx.full());
}

TEST_CASE("reset() forgets the bytes and the head under way") {
    request_buffers rx({}, 64);
    put(rx, "GET / HTTP/1.1\r\nHo");
    std::error_code ec;
    rx.consume(rx.parser().feed(rx.unparsed(), ec));
    REQUIRE_FALSE(rx.unparsed().empty());
    rx.reset();
    CHECK(rx.unparsed().empty());
    CHECK(rx.room().size() == 64);
    put(rx, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    rx.consume(rx.parser().feed(rx.unparsed(), ec));
    REQUIRE_FALSE(ec);
    REQUIRE(rx.parser().done());
    CHECK(rx.parser().head().find("REQUEST_METHOD") == "POST");
}

TEST_CASE("a lasting var is a view of the caller's string, gone at reset()") {
    request_buffers rx({}, 128);
    put(rx, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    std::error_code ec;
    rx.consume(rx.parser().feed(rx.unparsed(), ec));
    REQUIRE(rx.parser().done());
    const std::string host = "192.0.2.1";
    rx.parser().add_lasting_var("REMOTE_ADDR", host);
    const auto addr = rx.parser().head().find("REMOTE_ADDR");
    REQUIRE(addr);
    CHECK(*addr == "192.0.2.1");
    CHECK(addr->data() == host.data());  // not copied
    rx.reset();
    CHECK_FALSE(rx.parser().head().find("REMOTE_ADDR"));
}
