// The HTTP-to-CGI rules one by one: request-target forms, percent-decoding, Host, keys.
#include "protocol/http_cgi.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace gantry::protocol {
namespace {

TEST_CASE("split_target: origin-form and http(s) absolute-form only", "[http_cgi]") {
    const auto origin = split_target("/a/b?c=d");
    REQUIRE(origin);
    CHECK(origin->authority.empty());
    CHECK(origin->origin == "/a/b?c=d");

    const auto absolute = split_target("hTTps://Example.com:8443/x?y");
    REQUIRE(absolute);
    CHECK(absolute->authority == "Example.com:8443");
    CHECK(absolute->origin == "/x?y");

    CHECK(split_target("http://h")->origin.empty());
    CHECK(split_target("http://h?q")->origin == "?q");
    CHECK_FALSE(split_target("*"));
    CHECK_FALSE(split_target("example.com:443"));
    CHECK_FALSE(split_target("ftp://h/x"));
    CHECK_FALSE(split_target("http:///x"));
    CHECK_FALSE(split_target(""));
}

TEST_CASE("split_query: QUERY_STRING after the first '?', raw", "[http_cgi]") {
    CHECK(split_query("/p").path == "/p");
    CHECK(split_query("/p").query.empty());
    CHECK(split_query("/p?").query.empty());
    CHECK(split_query("/p?a=1?b=%20").path == "/p");
    CHECK(split_query("/p?a=1?b=%20").query == "a=1?b=%20");
}

TEST_CASE("percent_decode keeps what it cannot decode", "[http_cgi]") {
    const auto [path, decoded] = GENERATE(table<std::string_view, std::string_view>({
        {"/plain", "/plain"},
        {"/a%20b", "/a b"},
        {"/a%2Fb%2f", "/a/b/"},
        {"/caf%C3%A9", "/caf\xC3\xA9"},
        {"/%e9t%E9", "/\xE9t\xE9"},
        {"/%zz", "/%zz"},
        {"/%4", "/%4"},
        {"/%", "/%"},
        {"/%%41", "/%A"},
        {"/a+b", "/a+b"},
    }));
    std::string out = "kept:";
    CHECK(percent_decode(path, out));
    CHECK(out == "kept:" + std::string(decoded));
}

TEST_CASE("percent_decode says when it decoded a NUL", "[http_cgi]") {
    const auto path = GENERATE(as<std::string_view>{}, "/%00", "/a%00b", "/%2e%2e/%00/x");
    std::string out;
    CHECK_FALSE(percent_decode(path, out));
    CHECK(out.find('\0') != std::string::npos);
}

// RFC 3986 5.2.4, including its examples, and what ".." above the root becomes.
TEST_CASE("remove_dot_segments", "[http_cgi]") {
    const auto [path, clean] = GENERATE(table<std::string_view, std::string_view>({
        {"/", "/"},
        {"/plain/path", "/plain/path"},
        {"/a/b/c/./../../g", "/a/g"},
        {"/mid/content=5/../6", "/mid/6"},
        {"/public/../admin", "/admin"},
        {"/a/./b", "/a/b"},
        {"/a/b/..", "/a/"},
        {"/a/b/.", "/a/b/"},
        {"/.", "/"},
        {"/..", "/"},
        {"/../../etc/passwd", "/etc/passwd"},
        {"/a/../../b", "/b"},
        {"/a//../b", "/a/b"},
        {"/a/.../b", "/a/.../b"},
        {"/.hidden/..x/x../.x.", "/.hidden/..x/x../.x."},
        {"/a/./", "/a/"},
        {"/a/../", "/"},
        {"//..//x", "//x"},
    }));
    INFO(path);
    std::string out(path);
    remove_dot_segments(out);
    CHECK(out == clean);
}

TEST_CASE("remove_dot_segments keeps what comes before `from`", "[http_cgi]") {
    std::string out = "/prefix/a/../b";
    remove_dot_segments(out, 7);
    CHECK(out == "/prefix/b");
    out = "/prefix/../..";
    remove_dot_segments(out, 7);
    CHECK(out == "/prefix/");
}

TEST_CASE("split_host: name and port, or nothing for a forged Host", "[http_cgi]") {
    const auto [value, name, port] =
        GENERATE(table<std::string_view, std::string_view, std::string_view>({
            {"example.com", "example.com", ""},
            {"example.com:8080", "example.com", "8080"},
            {"example.com:", "example.com", ""},
            {"127.0.0.1:80", "127.0.0.1", "80"},
            {"[::1]", "[::1]", ""},
            {"[2001:db8::1]:443", "[2001:db8::1]", "443"},
            {"xn--caf-dma.example", "xn--caf-dma.example", ""},
            {"", "", ""},
        }));
    const auto host = split_host(value);
    REQUIRE(host);
    CHECK(host->name == name);
    CHECK(host->port == port);
}

TEST_CASE("split_host refuses what no host contains", "[http_cgi]") {
    const auto value =
        GENERATE(as<std::string_view>{}, "a/b", "a\\b", "user@host", "a b", "host:80:80", "host:8x",
                 "host:123456", ":80", "[::1", "[]", "[::1]x", "h\tx", "h\x01");
    INFO(value);
    CHECK_FALSE(split_host(value));
}

TEST_CASE("append_cgi_key", "[http_cgi]") {
    std::string out;
    append_cgi_key("X-Forwarded-For", out);
    CHECK(out == "HTTP_X_FORWARDED_FOR");
    out.clear();
    append_cgi_key("accept-ENCODING", out);
    CHECK(out == "HTTP_ACCEPT_ENCODING");
}

}  // namespace
}  // namespace gantry::protocol
