// response_framer: every framing decision of a response, one rule per case: which statuses
// carry no body, Content-Length vs chunked vs close, what is added to the head, which app
// headers are dropped or refused, the chunk lines, and the canned responses.
#include "protocol/http_framing.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/http_response.hpp"

namespace gantry::protocol {
namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

constexpr connection_framing uwsgi{};
constexpr connection_framing http11{.delimit = true, .keep_alive = true, .chunked_ok = true};
constexpr connection_framing http10{.delimit = true, .keep_alive = true, .chunked_ok = false};
constexpr connection_framing http11_close{.delimit = true, .keep_alive = false, .chunked_ok = true};

// A head as the writer builds it: status, the app's headers that pass, the framing headers.
struct framed {
    response_framer framer;
    std::string head;
};

framed frame(const connection_framing& conn, std::string_view status, const header_list& headers,
             std::optional<std::uint64_t> known_total = std::nullopt, bool head_request = false) {
    framed f;
    response_head head;
    f.framer.reset(conn, head_request);
    REQUIRE_FALSE(head.start("HTTP/1.1", status));
    f.framer.start(head.status_code());
    for (const auto& [name, value] : headers) {
        if (f.framer.check(name, value) == header_verdict::pass) {
            REQUIRE_FALSE(head.add(name, value));
        }
    }
    f.framer.finish_head(head, known_total);
    f.head = std::string(head.finish());
    return f;
}

TEST_CASE("uwsgi: nothing is added, the app's headers pass, the connection closes", "[framing]") {
    const framed known = frame(uwsgi, "200 OK", {{"Content-Type", "text/plain"}}, 5);
    CHECK(known.head == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
    CHECK(known.framer.delimiter() == body_delimiter::close);
    CHECK_FALSE(known.framer.keep_alive());

    framed declared = frame(uwsgi, "200 OK", {{"Content-Length", "5"}});
    CHECK(declared.head == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    CHECK(declared.framer.admit(9) == 5);
    CHECK_FALSE(declared.framer.keep_alive());

    const framed unknown = frame(uwsgi, "200 OK", {});
    CHECK_FALSE(unknown.framer.chunked());
    CHECK(unknown.framer.chunk_start(10).view().empty());
    CHECK(unknown.framer.last_chunk().empty());
}

TEST_CASE("HTTP/1.1 keep-alive: declared length, then known total, then chunked", "[framing]") {
    framed declared = frame(http11, "200 OK", {{"content-length", "3"}}, 99);
    CHECK(declared.head == "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n");
    CHECK(declared.framer.delimiter() == body_delimiter::content_length);
    CHECK(declared.framer.admit(3) == 3);
    CHECK(declared.framer.keep_alive());

    framed known = frame(http11, "200 OK", {}, 12);
    CHECK(known.head == "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
    CHECK(known.framer.admit(12) == 12);
    CHECK(known.framer.keep_alive());

    const framed unknown = frame(http11, "200 OK", {});
    CHECK(unknown.head == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK(unknown.framer.delimiter() == body_delimiter::chunked);
    CHECK(unknown.framer.keep_alive());
}

TEST_CASE("HTTP/1.0 keep-alive: said out loud, and a body of unknown length closes", "[framing]") {
    const framed known = frame(http10, "200 OK", {}, 0);
    CHECK(known.head == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(known.framer.keep_alive());

    const framed unknown = frame(http10, "200 OK", {});
    CHECK(unknown.head == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    CHECK(unknown.framer.delimiter() == body_delimiter::close);
    CHECK_FALSE(unknown.framer.chunked());
    CHECK_FALSE(unknown.framer.keep_alive());
}

TEST_CASE("a client that asked to close: nothing to delimit but the app's length", "[framing]") {
    const framed known = frame(http11_close, "200 OK", {}, 12);
    CHECK(known.head == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    CHECK(known.framer.delimiter() == body_delimiter::close);
    CHECK_FALSE(known.framer.keep_alive());

    framed declared = frame(http11_close, "200 OK", {{"Content-Length", "2"}});
    CHECK(declared.head == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
    CHECK(declared.framer.admit(2) == 2);
    CHECK_FALSE(declared.framer.keep_alive());
}

TEST_CASE("1xx, 204, 304 and any answer to HEAD carry no body", "[framing]") {
    // response_head refuses a 1xx as a final status; the framer still sends no body for one.
    for (const int code : {100, 103}) {
        response_framer framer;
        framer.reset(http11, false);
        framer.start(code);
        CHECK_FALSE(framer.body_allowed());
        CHECK(framer.admit(10) == 0);
    }
    for (const char* status : {"204 No Content", "304 Not Modified"}) {
        INFO(status);
        framed f = frame(http11, status, {});
        CHECK(f.head == "HTTP/1.1 " + std::string(status) + "\r\n\r\n");
        CHECK(f.framer.delimiter() == body_delimiter::none);
        CHECK_FALSE(f.framer.body_allowed());
        CHECK(f.framer.admit(10) == 0);
        CHECK(f.framer.offered() == 10);
        CHECK(f.framer.keep_alive());
    }
    // HEAD: the app's Content-Length (what GET would send) stays, nothing is added.
    framed head = frame(http11, "200 OK", {{"Content-Length", "5"}}, 5, true);
    CHECK(head.head == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    CHECK(head.framer.admit(5) == 0);
    CHECK(head.framer.keep_alive());
    framed head_unknown = frame(http11, "200 OK", {}, std::nullopt, true);
    CHECK(head_unknown.head == "HTTP/1.1 200 OK\r\n\r\n");
    CHECK(head_unknown.framer.admit(5) == 0);
    CHECK_FALSE(head_unknown.framer.chunked());
    // Not 200..299 only: a 404 or a 205 has a body.
    for (const char* status : {"205 Reset Content", "404 Not Found", "200 OK"}) {
        framed f = frame(http11, status, {});
        CHECK(f.framer.body_allowed());
        CHECK(f.framer.admit(4) == 4);
    }
    // HTTP/1.0 with no body: still kept, still said.
    const framed old = frame(http10, "304 Not Modified", {});
    CHECK(old.head == "HTTP/1.1 304 Not Modified\r\nConnection: keep-alive\r\n\r\n");
}

TEST_CASE("a declared Content-Length is held to, and a short body ends the connection",
          "[framing]") {
    framed f = frame(http11, "200 OK", {{"Content-Length", "5"}});
    CHECK(f.framer.admit(3) == 3);
    CHECK_FALSE(f.framer.keep_alive());  // 2 bytes short: the client waits for them
    CHECK(f.framer.admit(4) == 2);
    CHECK(f.framer.admit(4) == 0);
    CHECK(f.framer.offered() == 11);
    CHECK(f.framer.declared_length() == 5);
    CHECK(f.framer.keep_alive());
}

TEST_CASE("hop-by-hop headers are dropped and reported, in any case", "[framing]") {
    response_framer f;
    f.reset(http11, false);
    f.start(200);
    int bit = 0;
    for (std::string_view name : hop_by_hop_headers) {
        INFO(name);
        CHECK(f.check(name, "x") == header_verdict::hop_by_hop);
        CHECK((f.dropped() & (1U << bit++)) != 0);
    }
    CHECK(f.dropped() == 0b111111);
    for (const char* name : {"TRANSFER-ENCODING", "transfer-encoding", "connection", "te",
                             "UPGRADE", "keep-alive", "proxy-connection"}) {
        INFO(name);
        CHECK(f.check(name, "x") == header_verdict::hop_by_hop);
    }
    for (const char* name : {"Content-Type", "Connections", "X-Connection", "Trailer", "Tea",
                             "Upgrade-Insecure-Requests", "Set-Cookie", "Content-Length2"}) {
        INFO(name);
        CHECK(f.check(name, "x") == header_verdict::pass);
    }
    // Case folds letters only: a byte one bit away from '-' or a letter is another name.
    for (std::string_view name :
         {std::string_view("Transfer\rEncoding"),
          std::string_view("Transfer\x0d"
                           "encoding"),
          std::string_view("Keep\x0d"
                           "Alive"),
          std::string_view("Transfer-Encodin\x07"), std::string_view("Transfer\0Encoding", 17),
          std::string_view("Upgrad\x05")}) {
        INFO(name);
        CHECK(f.check(name, "x") == header_verdict::pass);
    }
    response_framer g;
    g.reset(http11, false);
    g.start(200);
    CHECK(g.check("Content\rLength", "5") == header_verdict::pass);
    CHECK_FALSE(g.declared_length());
    CHECK(g.check("CONTENT-length", "5") == header_verdict::pass);
    CHECK(g.declared_length() == 5);
    f.start(200);  // a new head (start_response again, with exc_info) forgets them
    CHECK(f.dropped() == 0);
}

TEST_CASE("an app's Connection: close is dropped, and honoured", "[framing]") {
    for (const char* value : {"close", "Close", "keep-alive, close", " upgrade ,CLOSE "}) {
        INFO(value);
        const framed f = frame(http11, "200 OK", {{"Connection", value}}, 2);
        CHECK(f.head == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        CHECK_FALSE(f.framer.keep_alive());
    }
    for (const char* value : {"keep-alive", "closed", "upgrade", ""}) {
        INFO(value);
        const framed f = frame(http11, "200 OK", {{"Connection", value}}, 2);
        CHECK(f.head == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        CHECK(f.framer.dropped() == 1);
    }
    // The app's Transfer-Encoding never reaches the client: the codec frames the body itself.
    const framed te = frame(http11, "200 OK", {{"Transfer-Encoding", "gzip, chunked"}});
    CHECK(te.head == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const framed te_uwsgi = frame(uwsgi, "200 OK", {{"Transfer-Encoding", "chunked"}});
    CHECK(te_uwsgi.head == "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_CASE("Content-Length: one decimal value, once", "[framing]") {
    response_framer f;
    f.reset(http11, false);
    f.start(200);
    for (const char* bad :
         {"", "abc", "-1", "+5", "5 ", " 5", "1,1", "0x10", "99999999999999999999999"}) {
        INFO(bad);
        CHECK(f.check("Content-Length", bad) == header_verdict::invalid_length);
    }
    CHECK_FALSE(f.declared_length());
    CHECK(f.check("Content-Length", "42") == header_verdict::pass);
    CHECK(f.check("content-length", "42") == header_verdict::same_length_again);
    CHECK(f.check("CONTENT-LENGTH", "042") == header_verdict::same_length_again);
    CHECK(f.check("Content-Length", "41") == header_verdict::conflicting_length);
    CHECK(f.declared_length() == 42);
    f.start(200);
    CHECK_FALSE(f.declared_length());
    CHECK(f.check("Content-Length", "41") == header_verdict::pass);
}

TEST_CASE("chunk lines: hex size and CRLF around a piece, a last chunk at the end", "[framing]") {
    CHECK(chunk_size_line(1).view() == "1\r\n");
    CHECK(chunk_size_line(0x1a).view() == "1a\r\n");
    CHECK(chunk_size_line(5000).view() == "1388\r\n");
    CHECK(chunk_size_line(UINT64_MAX).view() == "ffffffffffffffff\r\n");
    CHECK(chunk_size_line().view().empty());

    const framed f = frame(http11, "200 OK", {});
    REQUIRE(f.framer.chunked());
    CHECK(f.framer.chunk_start(26).view() == "1a\r\n");
    CHECK(f.framer.chunk_end(26) == "\r\n");
    // An empty piece is not a chunk: "0\r\n" would end the body.
    CHECK(f.framer.chunk_start(0).view().empty());
    CHECK(f.framer.chunk_end(0).empty());
    CHECK(f.framer.last_chunk() == "0\r\n\r\n");

    const framed sized = frame(http11, "200 OK", {}, 26);
    CHECK(sized.framer.chunk_start(26).view().empty());
    CHECK(sized.framer.chunk_end(26).empty());
    CHECK(sized.framer.last_chunk().empty());
}

TEST_CASE("a new response forgets the last one", "[framing]") {
    framed f = frame(http11, "200 OK", {{"Connection", "close"}, {"Content-Length", "1"}});
    CHECK(f.framer.admit(1) == 1);
    f.framer.reset(http11, true);
    CHECK(f.framer.status() == 0);
    CHECK(f.framer.offered() == 0);
    CHECK(f.framer.dropped() == 0);
    CHECK_FALSE(f.framer.declared_length());
    CHECK(f.framer.head_request());
    f.framer.start(200);
    CHECK_FALSE(f.framer.body_allowed());
}

TEST_CASE("every canned response is built by one function, one wording per status",
          "[http_response]") {
    const std::pair<int, std::string_view> statuses[] = {{400, "Bad Request"},
                                                         {404, "Not Found"},
                                                         {408, "Request Timeout"},
                                                         {413, "Content Too Large"},
                                                         {431, "Request Header Fields Too Large"},
                                                         {500, "Internal Server Error"},
                                                         {503, "Service Unavailable"}};
    for (const auto& [status, reason] : statuses) {
        INFO(status);
        const std::string line = std::to_string(status) + " " + std::string(reason);
        const std::string body = line + "\n";
        const std::string head = "HTTP/1.1 " + line +
                                 "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        CHECK(http_error_response(status) == head + body);
        // RFC 9110 9.3.2: the same head to HEAD, without the body.
        CHECK(http_error_response(status, true) == head);
    }
}

}  // namespace
}  // namespace gantry::protocol
