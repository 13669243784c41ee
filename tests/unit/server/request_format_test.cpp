// uWSGI's --log-format templates: compiled once into literal pieces and variable ids, with
// every variable gantry cannot know refused by name; and the lines they render.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/log/request_format.hpp"
#include "server/log/request_render.hpp"

namespace glog = gantry::server::log;
using glog::request_var;

namespace {

std::vector<request_var> ids(const glog::request_format& f) {
    std::vector<request_var> out;
    for (const auto& p : f.pieces()) {
        out.push_back(p.what);
    }
    return out;
}

std::string refusal(std::string_view tmpl) {
    try {
        const glog::request_format f(tmpl);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

gantry::protocol::request_head sample_head() {
    gantry::protocol::request_head h;
    h.modifier1 = 0;
    h.vars = {{"REQUEST_METHOD", "POST"},      {"REQUEST_URI", "/p?q=1"},
              {"SERVER_PROTOCOL", "HTTP/1.1"}, {"REMOTE_ADDR", "10.0.0.1"},
              {"HTTP_HOST", "example.org"},    {"HTTP_USER_AGENT", "curl/8"},
              {"HTTP_X_TOKEN", "a\nb"},        {"CONTENT_LENGTH", "5"}};
    h.content_length = 5;
    return h;
}

std::string render(std::string_view tmpl, const glog::request_facts& facts) {
    const glog::request_format f(tmpl);
    std::string out;
    glog::render(f, facts, out);
    return out;
}

}  // namespace

TEST_CASE("a template compiles to literals and variable ids") {
    const glog::request_format f("%(addr) - [%(ltime)] \"%(method) %(uri)\" %(status)");
    CHECK(ids(f) == std::vector{request_var::addr, request_var::literal, request_var::ltime,
                                request_var::literal, request_var::method, request_var::literal,
                                request_var::uri, request_var::literal, request_var::status});
    CHECK(f.pieces()[1].text == " - [");
    CHECK(f.uses(request_var::ltime));
    CHECK_FALSE(f.uses(request_var::rss));
}

TEST_CASE("literal text, a lone percent and an empty template") {
    CHECK(ids(glog::request_format("100% (done)")) == std::vector{request_var::literal});
    CHECK(glog::request_format("100% (done)").pieces()[0].text == "100% (done)");
    CHECK(glog::request_format("").pieces().empty());
    CHECK(ids(glog::request_format("%(status)%(msecs)")) ==
          std::vector{request_var::status, request_var::msecs});
}

TEST_CASE("%(var.NAME) names any request var") {
    const glog::request_format f("%(var.HTTP_X_REQUEST_ID)");
    REQUIRE(f.pieces().size() == 1);
    CHECK(f.pieces()[0].what == request_var::var);
    CHECK(f.pieces()[0].text == "HTTP_X_REQUEST_ID");
}

TEST_CASE("every uWSGI request variable gantry knows compiles") {
    for (const char* name :
         {"addr",   "user",    "method",    "uri",       "proto", "host",    "referer",
          "uagent", "status",  "size",      "rsize",     "hsize", "headers", "cl",
          "vars",   "pktsize", "modifier1", "modifier2", "msecs", "micros",  "secs",
          "time",   "tmsecs",  "tmicros",   "ltime",     "ftime", "ctime",   "epoch",
          "pid",    "wid",     "core",      "vsz",       "rss",   "vszM",    "rssM"}) {
        INFO(name);
        CHECK_NOTHROW(glog::request_format(std::string("%(") + name + ")"));
    }
}

TEST_CASE("what gantry cannot know is refused, by name") {
    CHECK_THAT(refusal("%(addr) %(bogus)"), Catch::Contains("unknown variable %(bogus)"));
    CHECK_THAT(refusal("%(switches)"), Catch::Contains("%(switches) is not supported"));
    CHECK_THAT(refusal("%(werr)"), Catch::Contains("%(werr)"));
    CHECK_THAT(refusal("%(metric.core.busy)"), Catch::Contains("no uWSGI metrics"));
    CHECK_THAT(refusal("%(status"), Catch::Contains("unclosed %("));
    CHECK_THAT(refusal("a %()"), Catch::Contains("empty variable"));
    CHECK_THAT(refusal("%(var.)"), Catch::Contains("%(var.)"));
}

TEST_CASE("a line renders each variable as uWSGI writes it") {
    const auto head = sample_head();
    const auto start =
        std::chrono::system_clock::from_time_t(1700000000) + std::chrono::microseconds(123456);
    const glog::request_facts facts{.head = head,
                                    .addr = "10.0.0.1",
                                    .worker = 3,
                                    .core = 1,
                                    .status = 201,
                                    .bytes = 150,
                                    .head_bytes = 100,
                                    .header_count = 4,
                                    .took = std::chrono::microseconds(2345),
                                    .start = start,
                                    .ftime_format = ""};
    CHECK(render("%(addr) %(user) \"%(method) %(uri) %(proto)\" %(status)", facts) ==
          "10.0.0.1 - \"POST /p?q=1 HTTP/1.1\" 201");
    CHECK(render("%(size) %(rsize) %(hsize) %(headers) %(cl)", facts) == "150 50 100 4 5");
    CHECK(render("%(msecs) %(micros) %(secs)", facts) == "2 2345 0.002345");
    CHECK(render("%(time) %(tmsecs) %(tmicros)", facts) ==
          "1700000000 1700000000123 1700000000123456");
    CHECK(render("%(wid) %(core) %(modifier1) %(modifier2) %(vars)", facts) == "3 1 0 0 16");
    CHECK(render("%(host) %(uagent) %(referer)", facts) == "example.org curl/8 -");
    CHECK(render("%(var.HTTP_X_TOKEN)|%(var.NOPE)", facts) == "a\\nb|-");  // escaped, dash
    // 8 vars: 4 bytes of lengths each, plus their keys and values.
    std::size_t packet = 0;
    for (const auto& v : head.vars) {
        packet += 4 + v.key.size() + v.value.size();
    }
    CHECK(render("%(pktsize)", facts) == std::to_string(packet));
    CHECK(std::regex_match(render("%(ltime)", facts),
                           std::regex(R"(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})")));
    CHECK(std::regex_match(
        render("%(ctime)", facts),
        std::regex(R"([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})")));
    CHECK(render("%(ftime)", facts) == render("%(ltime)", facts));
    CHECK(std::regex_match(render("%(pid) %(epoch) %(vsz) %(rss) %(vszM) %(rssM)", facts),
                           std::regex(R"(\d+ \d{10} \d+ \d+ \d+ \d+)")));
}

TEST_CASE("%(ftime) takes the log-date format when given one") {
    const auto head = sample_head();
    const glog::request_facts facts{.head = head,
                                    .addr = "-",
                                    .worker = 1,
                                    .core = 0,
                                    .status = 200,
                                    .bytes = 0,
                                    .head_bytes = 0,
                                    .header_count = 0,
                                    .took = {},
                                    .start = std::chrono::system_clock::from_time_t(1700000000),
                                    .ftime_format = "%Y"};
    CHECK(render("[%(ftime)]", facts) == "[2023]");
}
