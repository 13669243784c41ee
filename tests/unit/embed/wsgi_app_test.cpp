// The WSGI bridge driven from memory: requests in, raw responses out. What a worker
// recycles from one request to the next (start_response, wsgi.input, environ keys and
// values) must never let one request see or touch another.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "embed/wsgi_app.hpp"

using Catch::Matchers::Contains;
using gantry::embed::app_spec;
using gantry::embed::byte_sink;
using gantry::embed::byte_source;
using gantry::embed::call_result;
using gantry::embed::outcome;
using gantry::embed::wsgi_app;

namespace {

class memory_source final : public byte_source {
public:
    explicit memory_source(std::string data) : data_(std::move(data)) {}

    std::size_t read_some(std::span<std::byte> into, std::error_code&) override {
        const std::size_t n = std::min(into.size(), data_.size() - pos_);
        std::memcpy(into.data(), data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    std::string data_;
    std::size_t pos_ = 0;
};

class memory_sink final : public byte_sink {
public:
    void write(std::span<const std::span<const std::byte>> buffers, std::error_code&) override {
        for (const auto& b : buffers) {
            out.append(reinterpret_cast<const char*>(b.data()), b.size());
        }
    }
    void send_file(int, std::uint64_t, std::uint64_t, std::error_code& ec) override {
        ec = std::make_error_code(std::errc::operation_not_supported);
    }

    std::string out;
};

using vars = std::vector<std::pair<std::string, std::string>>;

struct response {
    call_result result;
    std::string status_line;
    std::string body;
};

response serve(wsgi_app& app, const vars& request_vars, std::string body = "") {
    gantry::protocol::request_head head;
    for (const auto& [key, value] : request_vars) {
        head.vars.push_back({key, value});
    }
    const std::string length = std::to_string(body.size());
    if (!body.empty()) {
        head.vars.push_back({"CONTENT_LENGTH", length});
        head.content_length = body.size();
    }
    memory_source source(std::move(body));
    memory_sink sink;
    response r{app.handle(head, source, sink), {}, {}};
    const auto end_of_head = sink.out.find("\r\n\r\n");
    REQUIRE(end_of_head != std::string::npos);
    r.status_line = sink.out.substr(0, sink.out.find("\r\n"));
    r.body = sink.out.substr(end_of_head + 4);
    return r;
}

wsgi_app load(const char* callable) {
    app_spec spec;
    spec.module = "bridge_apps";
    spec.callable = callable;
    return wsgi_app({{"", spec}}, {});
}

const vars get = {{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/"}, {"QUERY_STRING", ""}};

}  // namespace

TEST_CASE("start_response, write and wsgi.input kept past their request do not reach the next") {
    wsgi_app app = load("keeper");
    const vars post = {{"REQUEST_METHOD", "POST"}, {"PATH_INFO", "/"}};
    response first = serve(app, post, "first");
    CHECK(first.result.result == outcome::ok);
    CHECK_THAT(first.body, Contains(R"("body": "first")"));
    for (const char* body : {"second", "third"}) {
        const response r = serve(app, post, body);
        CHECK(r.result.result == outcome::ok);
        CHECK(r.status_line == "HTTP/1.1 200 OK");
        CHECK_THAT(r.body, Contains(R"("start_response": "OSError: start_response called )"
                                    R"(after the request ended")"));
        CHECK_THAT(r.body,
                   Contains(R"("write": "OSError: write() called after the request ended")"));
        CHECK_THAT(r.body, Contains(R"("old_input": "")"));
        CHECK_THAT(r.body, Contains(R"("old_environ_method": "POST")"));
        CHECK_THAT(r.body, Contains(std::string(R"("body": ")") + body + '"'));
        CHECK(r.body.find("LEAKED") == std::string::npos);
    }
}

TEST_CASE("start_response and write take PEP 3333's keyword names and refuse bad calls") {
    wsgi_app app = load("arguments");
    for (int round = 0; round < 3; ++round) {  // the later rounds get recycled objects
        const response r = serve(app, get);
        CHECK(r.result.result == outcome::ok);
        CHECK_THAT(r.body, Contains(R"("missing": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("extra": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("unknown": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("twice": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("write_none": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("write_str": "TypeError")"));
        CHECK_THAT(r.body, Contains(R"("again": "AssertionError")"));
        CHECK_THAT(r.body, Contains(R"("types": ["StartResponse", "Write"])"));
    }
}

TEST_CASE("each environ holds its own request's values, though keys and values are reused") {
    wsgi_app app = load("environ_echo");
    const vars tls = {{"REQUEST_METHOD", "GET"},
                      {"HTTP_HOST", "a.example"},
                      {"HTTP_USER_AGENT", "Agent/1"},
                      {"HTTP_X_LATIN", "caf\xe9"},
                      {"HTTP_CONTENT_TYPE", "text/forbidden"},
                      {"CONTENT_TYPE", ""},
                      {"HTTPS", "on"},
                      {"HTTP_X_DUP", "1"},
                      {"HTTP_X_DUP", "2"}};
    const vars plain = {{"REQUEST_METHOD", "POST"},     {"HTTP_HOST", "b.example"},
                        {"HTTP_USER_AGENT", "Agent/2"}, {"HTTP_X_LATIN", "plain"},
                        {"CONTENT_TYPE", "text/plain"}, {"HTTP_X_DUP", "3"}};
    for (int round = 0; round < 2; ++round) {
        const response a = serve(app, tls);
        CHECK_THAT(a.body, Contains(R"("REQUEST_METHOD": "GET")"));
        CHECK_THAT(a.body, Contains(R"("HTTP_HOST": "a.example")"));
        CHECK_THAT(a.body, Contains(R"("HTTP_USER_AGENT": "Agent/1")"));
        CHECK_THAT(a.body, Contains(R"("HTTP_X_LATIN": "caf\u00e9")"));
        CHECK_THAT(a.body, Contains(R"("HTTP_X_DUP": "2")"));
        CHECK_THAT(a.body, Contains(R"("wsgi.url_scheme": "https")"));
        CHECK_THAT(a.body, Contains(R"("CONTENT_TYPE": "")"));  // as the front sent it
        CHECK(a.body.find("HTTP_CONTENT_TYPE") == std::string::npos);

        const response b = serve(app, plain);
        CHECK_THAT(b.body, Contains(R"("REQUEST_METHOD": "POST")"));
        CHECK_THAT(b.body, Contains(R"("HTTP_HOST": "b.example")"));
        CHECK_THAT(b.body, Contains(R"("HTTP_USER_AGENT": "Agent/2")"));
        CHECK_THAT(b.body, Contains(R"("HTTP_X_LATIN": "plain")"));
        CHECK_THAT(b.body, Contains(R"("HTTP_X_DUP": "3")"));
        CHECK_THAT(b.body, Contains(R"("CONTENT_TYPE": "text/plain")"));
        CHECK_THAT(b.body, Contains(R"("wsgi.url_scheme": "http")"));
        CHECK(b.body.find("HTTPS") == std::string::npos);
    }
}

TEST_CASE("a request with more header names than the key table holds keeps them all") {
    wsgi_app app = load("environ_echo");
    vars many = get;
    for (int i = 0; i < 300; ++i) {
        many.emplace_back("HTTP_X_NAME_" + std::to_string(i), "value " + std::to_string(i));
    }
    for (int round = 0; round < 2; ++round) {
        const response r = serve(app, many);
        CHECK(r.result.result == outcome::ok);
        for (int i : {0, 150, 299}) {
            CHECK_THAT(r.body, Contains("\"HTTP_X_NAME_" + std::to_string(i) + "\": \"value " +
                                        std::to_string(i) + '"'));
        }
    }
    const response usual = serve(app, {{"REQUEST_METHOD", "PUT"}, {"HTTP_HOST", "c.example"}});
    CHECK_THAT(usual.body, Contains(R"("REQUEST_METHOD": "PUT")"));
    CHECK_THAT(usual.body, Contains(R"("HTTP_HOST": "c.example")"));
}

TEST_CASE("Content-Length and HEAD hold for each request a recycled writer serves") {
    wsgi_app app = load("sized");
    const response over = serve(app, {{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", "10"}});
    CHECK(over.body == "xxxxx");
    CHECK_THAT(over.result.warning, Contains("10 body bytes for a Content-Length of 5"));

    const response head = serve(app, {{"REQUEST_METHOD", "HEAD"}, {"QUERY_STRING", "5"}});
    CHECK(head.body.empty());
    CHECK(head.result.warning.empty());
    CHECK(head.result.status == 200);

    const response exact = serve(app, {{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", "5"}});
    CHECK(exact.body == "xxxxx");
    CHECK(exact.result.warning.empty());

    const response under = serve(app, {{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", "3"}});
    CHECK(under.body == "xxx");
    CHECK_THAT(under.result.warning, Contains("3 body bytes for a Content-Length of 5"));
}

TEST_CASE("vars named wsgi.* never replace the server's keys") {
    wsgi_app app = load("environ_echo");
    vars forged = get;
    forged.emplace_back("wsgi.url_scheme", "javascript");
    forged.emplace_back("wsgi.errors", "not-a-stream");
    forged.emplace_back("wsgi.extra", "x");
    for (int round = 0; round < 2; ++round) {  // the second finds the names in the key table
        const response r = serve(app, forged);
        CHECK_THAT(r.body, Contains(R"("wsgi.url_scheme": "http")"));
        CHECK(r.body.find("not-a-stream") == std::string::npos);
        CHECK(r.body.find("wsgi.extra") == std::string::npos);
    }
}

TEST_CASE("a request without REQUEST_METHOD is a 400 that no app sees") {
    wsgi_app app = load("environ_echo");
    for (const vars& v : {vars{}, vars{{"PATH_INFO", "/"}}, vars{{"REQUEST_METHOD", ""}}}) {
        const response r = serve(app, v);
        CHECK(r.status_line == "HTTP/1.1 400 Bad Request");
        CHECK(r.result.status == 400);
        CHECK_FALSE(r.result.keep_alive);
        CHECK_THAT(r.result.warning, Contains("REQUEST_METHOD"));
    }
    CHECK(serve(app, get).status_line == "HTTP/1.1 200 OK");
}

TEST_CASE("a bare bytes or bytearray result is the body") {
    for (const char* callable : {"bare_bytes", "bare_bytearray"}) {
        wsgi_app app = load(callable);
        const response r = serve(app, get);
        CHECK(r.result.result == outcome::ok);
        CHECK(r.body == "a body of its own");
    }
}
