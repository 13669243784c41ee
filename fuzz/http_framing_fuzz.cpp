// libFuzzer target: protocol::response_framer with response_head, as the response writer
// drives them: reset for a connection and request, start (maybe twice, as start_response
// with exc_info may), check the app's headers, finish_head, then admit and frame the body
// pieces the app offers. Every choice comes from the input (FuzzedDataProvider).
//
// The oracle is another HTTP implementation: Beast's response_parser reads the bytes back.
// It must read the status, exactly the admitted body, and, when the framer says the
// connection may be kept, leave the connection's next response untouched.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/http_framing.hpp"
#include "protocol/response_head.hpp"

namespace http = boost::beast::http;

namespace {

using namespace gantry::protocol;

constexpr std::string_view next_response = "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nnext";

constexpr std::array<std::string_view, 12> header_names{"Content-Length",
                                                        "content-length",
                                                        "Connection",
                                                        "Transfer-Encoding",
                                                        "Keep-Alive",
                                                        "Proxy-Connection",
                                                        "TE",
                                                        "Upgrade",
                                                        "Content-Type",
                                                        "X-Custom",
                                                        "CONTENT-LENGTH",
                                                        "connection"};

// Final statuses only: response_head refuses 1xx as a final status (checked below).
constexpr std::array<int, 9> statuses{200, 201, 204, 206, 304, 400, 404, 500, 503};

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// The read-back disagrees with what was written: show both, then stop.
[[noreturn]] void mismatch(const char* what, std::string_view wire, std::string_view body,
                           const std::string& read_body) {
    std::fprintf(stderr, "http_framing: %s\n--- wire ---\n%.*s\n--- admitted body (%zu) ---\n",
                 what, static_cast<int>(wire.size()), wire.data(), body.size());
    std::fprintf(stderr, "%.*s\n--- body read back (%zu) ---\n%s\n", static_cast<int>(body.size()),
                 body.data(), read_body.size(), read_body.c_str());
    std::abort();
}

struct response_written {
    std::string wire;
    std::string body;  // what was admitted
    int status = 0;
};

std::string status_line(int code) {
    return std::to_string(code) + " Reason";
}

int pick_status(FuzzedDataProvider& in) {
    return in.ConsumeBool() ? in.PickValueInArray(statuses) : in.ConsumeIntegralInRange(200, 599);
}

std::string header_value(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
            return std::to_string(in.ConsumeIntegralInRange<std::uint64_t>(0, 300));
        case 1:
            return in.PickValueInArray({"close", "keep-alive", "Close, Upgrade", "chunked"});
        default:
            return in.ConsumeRandomLengthString(24);
    }
}

response_written write_response(FuzzedDataProvider& in, response_framer& framer,
                                const connection_framing& conn, bool head_request) {
    response_written out;
    response_head head;
    framer.reset(conn, head_request);
    check(static_cast<bool>(
        response_head{}.start("HTTP/1.1", status_line(in.ConsumeIntegralInRange(100, 199)))));
    const int starts = in.ConsumeIntegralInRange(1, 2);
    for (int s = 0; s < starts; ++s) {
        out.status = pick_status(in);
        check(!head.start("HTTP/1.1", status_line(out.status)));
        framer.start(head.status_code());
        check(framer.status() == out.status);
        const int headers = in.ConsumeIntegralInRange(0, 6);
        for (int h = 0; h < headers; ++h) {
            const std::string name = in.ConsumeBool()
                                         ? std::string(in.PickValueInArray(header_names))
                                         : in.ConsumeRandomLengthString(16);
            const std::string value = header_value(in);
            if (framer.check(name, value) == header_verdict::pass) {
                (void)head.add(name, value);  // a refused name or value is the app's error
            }
        }
    }
    // What the app will offer; known_total, as the writer passes it, only when that is all
    // of the body (a bytes result or a one-item list).
    std::vector<std::size_t> pieces(in.ConsumeIntegralInRange<std::size_t>(0, 5));
    std::uint64_t total = 0;
    for (std::size_t& piece : pieces) {
        piece = in.ConsumeIntegralInRange<std::size_t>(0, 120);
        total += piece;
    }
    std::optional<std::uint64_t> known_total;
    if (in.ConsumeBool()) {
        known_total = total;
    }
    framer.finish_head(head, known_total);
    out.wire = std::string(head.finish());
    for (std::size_t p = 0; p < pieces.size(); ++p) {
        const std::string piece(pieces[p], static_cast<char>('a' + p));
        const std::uint64_t n = framer.admit(piece.size());
        check(n <= piece.size());
        check(framer.body_allowed() || n == 0);
        const auto line = framer.chunk_start(n);
        check(framer.chunked() == !line.view().empty() || n == 0);
        out.wire.append(line.view()).append(piece, 0, n).append(framer.chunk_end(n));
        out.body.append(piece, 0, n);
    }
    out.wire.append(framer.last_chunk());
    return out;
}

struct read_back {
    bool error = false;
    bool stuck = false;
    unsigned status = 0;
    std::string body;
    std::string leftover;
};

read_back read_response(std::string_view wire, bool head_request) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.skip(head_request);
    parser.body_limit(std::uint64_t{1} << 30);
    read_back got;
    boost::beast::error_code ec;
    std::string_view rest = wire;
    while (!parser.is_done()) {
        const std::size_t n = parser.put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(n);
        if (ec == http::error::need_more) {
            ec = {};
        }
        if (ec) {
            break;
        }
        if (n == 0) {
            if (rest.empty()) {
                parser.put_eof(ec);  // nothing more comes: the server closed the connection
                break;
            }
            got.stuck = true;  // neither taken, nor refused, nor waiting for more
            break;
        }
    }
    got.error = static_cast<bool>(ec);
    if (parser.is_header_done()) {
        got.status = parser.get().result_int();
    }
    got.body = parser.get().body();
    got.leftover = std::string(rest);
    return got;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const connection_framing conn{.delimit = in.ConsumeBool(),
                                  .keep_alive = in.ConsumeBool(),
                                  .chunked_ok = in.ConsumeBool()};
    const bool head_request = in.ConsumeBool();
    response_framer framer;
    response_written out = write_response(in, framer, conn, head_request);

    check(!framer.keep_alive() || conn.delimit);
    if (!conn.delimit || out.status < 200) {
        return 0;  // behind a uwsgi front, or an interim response: nothing to read back
    }
    const bool keep = framer.keep_alive();
    if (keep) {
        out.wire.append(next_response);
    }
    const bool short_body = framer.delimiter() == body_delimiter::content_length &&
                            out.body.size() < framer.declared_length().value_or(out.body.size());
    if (short_body) {
        check(!keep);
        return 0;  // the client waits for the rest: keep_alive() said the connection ends
    }
    const read_back got = read_response(out.wire, head_request);
    if (got.error || got.stuck || got.status != static_cast<unsigned>(out.status)) {
        mismatch(got.stuck ? "the reader is stuck" : "not read back whole", out.wire, out.body,
                 got.body);
    }
    if (got.body != out.body) {
        mismatch("another body read back", out.wire, out.body, got.body);
    }
    if (keep && got.leftover != next_response) {
        mismatch("the next response is damaged", out.wire, out.body, got.body);
    }
    return 0;
}
