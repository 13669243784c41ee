// http_request_parser on well-formed requests: the vars nginx's uwsgi_params would send,
// body framing, keep-alive, pipelining; each request cut every way (http_parsegrind.hpp).
#include "protocol/http_request_parser.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/unit/protocol/http_parsegrind.hpp"

namespace gantry::protocol::test {
namespace {

std::vector<corpus_case> valid_cases() {
    return {
        corpus_case("curl GET: every var, in nginx's order", curl_get)
            .has({{"QUERY_STRING", "name=gantry&x=%20"},
                  {"REQUEST_METHOD", "GET"},
                  {"REQUEST_URI", "/hello/w%C3%B6rld?name=gantry&x=%20"},
                  {"PATH_INFO", "/hello/w\xC3\xB6rld"},
                  {"SERVER_PROTOCOL", "HTTP/1.1"},
                  {"SERVER_PORT", "8000"},
                  {"SERVER_NAME", "localhost"},
                  {"HTTP_HOST", "localhost:8000"},
                  {"HTTP_USER_AGENT", "curl/7.88.1"},
                  {"HTTP_ACCEPT", "*/*"}})
            .exactly(),
        corpus_case("POST with a body: CONTENT_*, never HTTP_CONTENT_*", form_post)
            .has({{"CONTENT_TYPE", "application/x-www-form-urlencoded"},
                  {"CONTENT_LENGTH", "23"},
                  {"QUERY_STRING", ""}})
            .lacks({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})
            .body_is("user=ada&pass=c%2B%2B!!"),
        corpus_case("chunked upload with extensions and trailers",
                    chunked_post("5;name=value\r\nhello\r\n6 ; q=\"a;b\"\r\n world\r\n"
                                 "000\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n"))
            .has({{"HTTP_TRANSFER_ENCODING", "chunked"}})
            .lacks({"CONTENT_LENGTH", "HTTP_X_CHECKSUM", "HTTP_X_MORE"})
            .body_is("hello world"),
        corpus_case("chunked, upper-case hex and a chunk split by nothing",
                    chunked_post("A\r\n0123456789\r\n1\r\n!\r\n0\r\n\r\n"))
            .body_is("0123456789!"),
        corpus_case("pipelined: the second request is left for the next reset()",
                    get("/a") + get("/b"))
            .has({{"PATH_INFO", "/a"}})
            .leaves(get("/b")),
        corpus_case("pipelined after a body", form_post + get("/next"))
            .body_is("user=ada&pass=c%2B%2B!!")
            .leaves(get("/next")),
        corpus_case("pipelined after a chunked body",
                    chunked_post("3\r\nabc\r\n0\r\n\r\n") + get("/next"))
            .body_is("abc")
            .leaves(get("/next")),
        corpus_case("HTTP/1.0 closes by default, and needs no Host", "GET / HTTP/1.0\r\n\r\n")
            .has({{"SERVER_PROTOCOL", "HTTP/1.0"}})
            .lacks({"SERVER_NAME", "SERVER_PORT", "HTTP_HOST"})
            .closes(),
        corpus_case("HTTP/1.0 with Connection: keep-alive",
                    "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
        corpus_case("HTTP/1.1 with Connection: close", get("/", "Host: x\r\nConnection: close\r\n"))
            .has({{"HTTP_CONNECTION", "close"}})
            .closes(),
        corpus_case("repeated headers joined with \", \", in first-seen order",
                    get("/",
                        "Accept: a\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\n"
                        "accept: b\r\nX-Forwarded-For: 2.2.2.2\r\n"))
            .has({{"QUERY_STRING", ""},
                  {"REQUEST_METHOD", "GET"},
                  {"REQUEST_URI", "/"},
                  {"PATH_INFO", "/"},
                  {"SERVER_PROTOCOL", "HTTP/1.1"},
                  {"SERVER_NAME", "x"},
                  {"HTTP_ACCEPT", "a, b"},
                  {"HTTP_HOST", "x"},
                  {"HTTP_X_FORWARDED_FOR", "1.1.1.1, 2.2.2.2"}})
            .exactly(),
        corpus_case("Cookie lines joined with \"; \"",
                    get("/", "Host: x\r\nCookie: a=1\r\nCookie: b=2; c=3\r\n"))
            .has({{"HTTP_COOKIE", "a=1; b=2; c=3"}}),
        corpus_case("percent-decoding: %2F decoded, malformed escapes kept",
                    get("/caf%C3%a9/a%2Fb/%zz/100%/%4?q=%2F+x"))
            .has({{"PATH_INFO", "/caf\xC3\xA9/a/b/%zz/100%/%4"},
                  {"REQUEST_URI", "/caf%C3%a9/a%2Fb/%zz/100%/%4?q=%2F+x"},
                  {"QUERY_STRING", "q=%2F+x"}}),
        corpus_case("a header named with '_' is dropped (spoofing HTTP_X_REAL_IP)",
                    get("/", "Host: x\r\nX_Real_IP: 6.6.6.6\r\nX-Real-IP: 1.2.3.4\r\n"))
            .has({{"HTTP_X_REAL_IP", "1.2.3.4"}}),
        corpus_case("an underscored Content_Length does not frame the body",
                    get("/", "Host: x\r\nContent_Length: 5\r\n") + get("/b"))
            .lacks({"CONTENT_LENGTH"})
            .leaves(get("/b")),
        corpus_case("Expect: 100-continue",
                    "PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                    "Content-Length: 2\r\n\r\nok")
            .has({{"HTTP_EXPECT", "100-Continue"}})
            .body_is("ok")
            .expects_100(),
        corpus_case("Expect: 100-continue is ignored in HTTP/1.0",
                    "PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
            .has({{"CONTENT_LENGTH", "0"}})
            .closes(),
        corpus_case("absolute-form: its authority names the server, the same Host is kept",
                    get("HTTP://example.com:8080/p?q=1", "Host: EXAMPLE.com:8080\r\n"))
            .has({{"REQUEST_URI", "/p?q=1"},
                  {"PATH_INFO", "/p"},
                  {"SERVER_NAME", "example.com"},
                  {"SERVER_PORT", "8080"},
                  {"HTTP_HOST", "EXAMPLE.com:8080"}}),
        corpus_case("absolute-form in HTTP/1.0 needs no Host",
                    "GET http://example.com/p HTTP/1.0\r\n\r\n")
            .has({{"SERVER_NAME", "example.com"}})
            .lacks({"HTTP_HOST"})
            .closes(),
        corpus_case("absolute-form without a path",
                    get("https://example.com?q", "Host: example.com\r\n"))
            .has({{"REQUEST_URI", "/?q"}, {"PATH_INFO", "/"}, {"QUERY_STRING", "q"}}),
        corpus_case("empty lines (CRLF) before a request line are skipped", "\r\n\r\n" + get("/"))
            .has({{"PATH_INFO", "/"}}),
        corpus_case("dot-segments are removed from PATH_INFO, REQUEST_URI is kept",
                    get("/public/%2E%2e/admin/./x/..?q=/../"))
            .has({{"PATH_INFO", "/admin/"},
                  {"REQUEST_URI", "/public/%2E%2e/admin/./x/..?q=/../"},
                  {"QUERY_STRING", "q=/../"}}),
        corpus_case("an IPv6 Host", get("/", "Host: [::1]:8000\r\n"))
            .has({{"SERVER_NAME", "[::1]"}, {"SERVER_PORT", "8000"}}),
        corpus_case("an empty Host names no server", get("/", "Host:\r\n"))
            .has({{"HTTP_HOST", ""}})
            .lacks({"SERVER_NAME"}),
        corpus_case("the first Content-Type wins",
                    get("/", "Host: x\r\nContent-Type: text/plain\r\nContent-Type: a/b\r\n"))
            .has({{"CONTENT_TYPE", "text/plain"}}),
        corpus_case("identical Content-Length values are one length",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n"
                    "Content-Length: 3\r\n\r\nabc")
            .has({{"CONTENT_LENGTH", "3"}})
            .body_is("abc"),
        corpus_case("a tab inside a value is not a fold", get("/", "Host: x\r\nX-Tab: a\tb\r\n"))
            .has({{"HTTP_X_TAB", "a\tb"}}),
        corpus_case("a head of exactly max_head bytes",
                    get("/", "Host: x\r\nX: " + std::string(64 - 32, 'a') + "\r\n"))
            .max_head(64),
        corpus_case("a body of exactly max_body bytes, chunked",
                    chunked_post("2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"))
            .body_is("abcd")
            .max_body(4),
    };
}

TEST_CASE("valid requests, cut every way", "[http_request_parser]") {
    for (const corpus_case& c : valid_cases()) {
        grind(c);
    }
}

TEST_CASE("a pipelined request parses after reset()", "[http_request_parser]") {
    const std::string input = form_post + get("/second?x=1", "Host: y\r\nConnection: close\r\n");
    http_request_parser parser;
    const outcome first = read_request(parser, input, {}, SIZE_MAX);
    REQUIRE_FALSE(first.error);
    parser.reset();
    const outcome second = read_request(parser, first.leftover, {}, SIZE_MAX);
    REQUIRE_FALSE(second.error);
    CHECK(second.leftover.empty());
    CHECK_FALSE(second.keep_alive);
    CHECK(parser.head().find("PATH_INFO") == "/second");
    CHECK(parser.head().find("SERVER_NAME") == "y");
    CHECK_FALSE(parser.head().find("CONTENT_LENGTH"));
}

}  // namespace
}  // namespace gantry::protocol::test
