// request_parser case by case: views into the buffer, head_size(), reset(), finish() and
// CONTENT_LENGTH, each stated on its own. The corpus runner covers the byte-split sweep.
#include "protocol/request_parser.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/errc.hpp"
#include "tests/unit/protocol/packet_bytes.hpp"

namespace gantry::protocol {
namespace {

using namespace test;

TEST_CASE("keys and values are views into the caller's buffer", "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/hello"}});
    request_parser parser;
    std::error_code ec;
    REQUIRE(parser.feed(buf, ec) == buf.size());
    REQUIRE_FALSE(ec);
    REQUIRE(parser.done());

    const auto& vars = parser.head().vars;
    REQUIRE(vars.size() == 2);
    const char* base = reinterpret_cast<const char*>(buf.data());
    // header (4), key_len (2), "REQUEST_METHOD" (14), val_len (2), "GET" (3), key_len (2)
    CHECK(vars[0].key.data() == base + 6);
    CHECK(vars[0].value.data() == base + 22);
    CHECK(vars[1].key.data() == base + 27);
    CHECK(vars[1].value == "/hello");
    CHECK(parser.head().find("PATH_INFO") == "/hello");
}

TEST_CASE("nothing is consumed until the whole head is in; head_size() after 4 bytes",
          "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/"}});
    const std::span<const std::byte> all(buf);
    request_parser parser;
    std::error_code ec;
    for (std::size_t n = 0; n < request_parser::header_size; ++n) {
        CHECK(parser.feed(all.first(n), ec) == 0);
        CHECK_FALSE(ec);
        CHECK(parser.head_size() == 0);
    }
    CHECK(parser.feed(all.first(4), ec) == 0);
    CHECK(parser.head_size() == buf.size());
    CHECK(parser.feed(all.first(buf.size() - 1), ec) == 0);
    CHECK_FALSE(parser.done());
    CHECK(parser.feed(all, ec) == buf.size());
    CHECK_FALSE(ec);
    CHECK(parser.done());
}

TEST_CASE("the body stays in the buffer after the head, for the caller", "[request_parser]") {
    bytes buf = make_packet({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "5"}});
    const auto body = to_bytes("hello");
    buf.insert(buf.end(), body.begin(), body.end());
    request_parser parser;
    std::error_code ec;
    const std::size_t head = parser.feed(buf, ec);
    REQUIRE(head == buf.size() - 5);
    CHECK(parser.head().content_length == 5);
    CHECK(as_text(std::span(buf).subspan(head)) == "hello");
    CHECK_FALSE(parser.finish());  // the body is not the parser's business
}

TEST_CASE("reset() readies the parser for the next packet", "[request_parser]") {
    bytes buf =
        make_packet({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "2"}, {"HTTP_X_A", "1"}}, 0, 9);
    const std::size_t first_size = buf.size();
    buf.push_back(std::byte{'h'});
    buf.push_back(std::byte{'i'});
    const bytes second = make_packet({{"REQUEST_METHOD", "GET"}});
    buf.insert(buf.end(), second.begin(), second.end());

    request_parser parser;
    std::error_code ec;
    REQUIRE(parser.feed(buf, ec) == first_size);
    REQUIRE(parser.head().vars.size() == 3);
    const auto capacity = parser.head().vars.capacity();

    parser.reset();
    CHECK_FALSE(parser.done());
    CHECK(parser.head_size() == 0);
    CHECK(parser.head().vars.capacity() == capacity);
    const auto rest = std::span<const std::byte>(buf).subspan(first_size + 2);
    REQUIRE(parser.feed(rest, ec) == second.size());
    CHECK_FALSE(ec);
    const request_head& head = parser.head();
    REQUIRE(head.vars.size() == 1);
    CHECK(head.vars[0].value == "GET");
    CHECK(head.modifier2 == 0);
    CHECK(head.content_length == 0);
    CHECK_FALSE(head.find("HTTP_X_A"));

    SECTION("and after an error") {
        parser.reset();
        const bytes bad = make_packet({{"REQUEST_METHOD", "GET"}}, 5);
        CHECK(parser.feed(bad, ec) == 0);
        CHECK(ec == errc::unsupported_modifier);
        parser.reset();
        CHECK(parser.feed(second, ec) == second.size());
        CHECK_FALSE(ec);
        CHECK(parser.done());
    }
}

TEST_CASE("finish() names the truncation, or nothing once the head is done", "[request_parser]") {
    const bytes buf = make_packet({{"REQUEST_METHOD", "GET"}});
    const std::span<const std::byte> all(buf);
    request_parser parser;
    std::error_code ec;

    SECTION("nothing received") {
        CHECK(parser.finish() == errc::truncated_header);
    }
    SECTION("3 of the 4 header bytes") {
        parser.feed(all.first(3), ec);
        CHECK(parser.finish() == errc::truncated_header);
    }
    SECTION("the header and part of the vars") {
        parser.feed(all.first(10), ec);
        CHECK(parser.finish() == errc::truncated_vars);
    }
    SECTION("the whole head") {
        parser.feed(all, ec);
        CHECK_FALSE(parser.finish());
    }
    CHECK_FALSE(ec);
}

TEST_CASE("a bad header is refused without waiting for more bytes", "[request_parser]") {
    std::error_code ec;
    SECTION("modifier1 other than 0, on the first byte") {
        request_parser parser;
        const std::byte first[] = {std::byte{5}};
        CHECK(parser.feed(first, ec) == 0);
        CHECK(ec == errc::unsupported_modifier);
    }
    SECTION("datasize over the limit, before modifier2 arrives") {
        request_parser parser{16};
        const std::byte three[] = {std::byte{0}, std::byte{17}, std::byte{0}};
        CHECK(parser.feed(three, ec) == 0);
        CHECK(ec == errc::vars_too_large);
    }
}

TEST_CASE("CONTENT_LENGTH is a plain decimal number", "[request_parser]") {
    const auto [value, ok, length] = GENERATE(table<std::string_view, bool, std::uint64_t>({
        {"0", true, 0},
        {"", true, 0},
        {"1048576", true, 1048576},
        {"007", true, 7},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"-0", false, 0},
        {"+1", false, 0},
        {"1e3", false, 0},
        {"1,000", false, 0},
        {"12\t", false, 0},
    }));
    INFO("CONTENT_LENGTH '" << value << "'");
    const bytes buf = make_packet({{"CONTENT_LENGTH", value}});
    request_parser parser;
    std::error_code ec;
    parser.feed(buf, ec);
    if (ok) {
        CHECK_FALSE(ec);
        CHECK(parser.head().content_length == length);
    } else {
        CHECK(ec == errc::bad_content_length);
    }
}

TEST_CASE("protocol errors have their own category and a message each", "[errc]") {
    std::vector<std::string> messages;
    for (int e = static_cast<int>(errc::truncated_header);
         e <= static_cast<int>(errc::invalid_status); ++e) {
        const std::error_code ec = static_cast<errc>(e);
        CHECK(ec.category().name() == std::string_view("gantry.protocol"));
        CHECK(ec == static_cast<errc>(e));
        messages.push_back(ec.message());
    }
    std::sort(messages.begin(), messages.end());
    CHECK(std::adjacent_find(messages.begin(), messages.end()) == messages.end());
    CHECK(std::error_code(errc::empty_key) != std::make_error_code(std::errc::invalid_argument));
}

}  // namespace
}  // namespace gantry::protocol