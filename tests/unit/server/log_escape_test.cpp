// Request bytes in log lines: a text line cannot be split or forged, and a JSON line is
// always valid JSON in UTF-8.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <string>

#include "server/log/escape.hpp"

namespace glog = gantry::server::log;

TEST_CASE("text lines escape control bytes and the backslash") {
    CHECK(glog::escaped("/x\r\n[fake] error: injected") == "/x\\r\\n[fake] error: injected");
    CHECK(glog::escaped(std::string("a\0b\tc\x1b\x7f", 7)) == "a\\x00b\\tc\\x1b\\x7f");
    CHECK(glog::escaped("C:\\x0a") == "C:\\\\x0a");  // not mistaken for an escaped LF
    CHECK(glog::escaped("/caf\xc3\xa9?q=\xff") == "/caf\xc3\xa9?q=\xff");
    CHECK(glog::escaped("").empty());
}

TEST_CASE("printable formats escaped") {
    CHECK(fmt::format("[{}]", glog::printable{"GET\n"}) == "[GET\\n]");
    CHECK(fmt::format("{:>6}", glog::printable{"ab"}) == "    ab");
}

TEST_CASE("JSON strings keep valid UTF-8 and escape every other byte") {
    CHECK(glog::json_string("plain") == "\"plain\"");
    CHECK(glog::json_string("q\"b\\") == "\"q\\\"b\\\\\"");
    CHECK(glog::json_string("a\r\nb\tc\x01") == "\"a\\r\\nb\\tc\\u0001\"");
    CHECK(glog::json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    CHECK(glog::json_string("\xff") == "\"\\u00ff\"");
    CHECK(glog::json_string("\xc3") == "\"\\u00c3\"");                        // truncated
    CHECK(glog::json_string("\xc3(") == "\"\\u00c3(\"");                      // bad continuation
    CHECK(glog::json_string("\xc0\xaf") == "\"\\u00c0\\u00af\"");             // overlong '/'
    CHECK(glog::json_string("\xed\xa0\x80") == "\"\\u00ed\\u00a0\\u0080\"");  // surrogate
    CHECK(glog::json_string("\xf4\x90\x80\x80") == "\"\\u00f4\\u0090\\u0080\\u0080\"");
    CHECK(glog::json_string("\xe0\x80\x80") == "\"\\u00e0\\u0080\\u0080\"");  // overlong
    CHECK(glog::json_string("\x7f") == "\"\x7f\"");  // DEL is valid in a JSON string
}
