// http_request_parser on requests it must refuse, each with its own errc (and so its own
// status: 400, 413, 431, 505) or a truncation at EOF; each cut every way.
#include "protocol/http_request_parser.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol/errc.hpp"
#include "tests/unit/protocol/http_parsegrind.hpp"

namespace gantry::protocol::test {
namespace {

std::vector<corpus_case> invalid_cases() {
    const std::string huge(9000, 'a');
    std::string many_lines;
    for (int i = 0; i < 1500; ++i) {
        many_lines += "X: a\r\n";
    }
    return {
        corpus_case("headers over the default 8 KiB",
                    get("/", "Host: x\r\nX-Big: " + huge + "\r\n"))
            .fails_with(errc::http_header_too_large),
        corpus_case("many short header lines over the limit (Beast takes them one at a time)",
                    get("/", "Host: x\r\n" + many_lines))
            .fails_with(errc::http_header_too_large),
        corpus_case("a head of max_head + 1 bytes",
                    get("/", "Host: x\r\nX: " + std::string(64 - 31, 'a') + "\r\n"))
            .fails_with(errc::http_header_too_large)
            .max_head(64),
        corpus_case("a request line over the limit", get("/" + std::string(100, 'p')))
            .fails_with(errc::http_header_too_large)
            .max_head(64),
        corpus_case("a bad chunk size", chunked_post("zz\r\nhello\r\n0\r\n\r\n"))
            .fails_with(errc::http_bad_chunk),
        corpus_case("a chunk size that overflows 64 bits",
                    chunked_post("10000000000000000\r\nx\r\n0\r\n\r\n"))
            .fails_with(errc::http_bad_chunk),
        corpus_case("a chunk size with a sign", chunked_post("-5\r\nhello\r\n0\r\n\r\n"))
            .fails_with(errc::http_bad_chunk),
        corpus_case("chunk data not followed by CRLF", chunked_post("5\r\nhelloX0\r\n\r\n"))
            .fails_with(errc::http_bad_chunk)
            .body_is("hello"),
        corpus_case("a bad chunk extension", chunked_post("5;=x\r\nhello\r\n0\r\n\r\n"))
            .fails_with(errc::http_bad_chunk),
        corpus_case("Content-Length then Transfer-Encoding",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .fails_with(errc::http_content_length_with_chunked),
        corpus_case("Transfer-Encoding then Content-Length",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    "Content-Length: 5\r\n\r\n0\r\n\r\n")
            .fails_with(errc::http_content_length_with_chunked),
        corpus_case("Content-Length then Transfer-Encoding: gzip",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: gzip\r\n\r\nhello")
            .fails_with(errc::http_content_length_with_chunked),
        corpus_case("Transfer-Encoding: gzip",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello")
            .fails_with(errc::http_unsupported_transfer_encoding),
        corpus_case("Transfer-Encoding: gzip, chunked",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    "0\r\n\r\n")
            .fails_with(errc::http_unsupported_transfer_encoding),
        corpus_case("Transfer-Encoding twice",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .fails_with(errc::http_unsupported_transfer_encoding),
        corpus_case("Transfer-Encoding in HTTP/1.0",
                    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            .fails_with(errc::http_unsupported_transfer_encoding),
        corpus_case("two different Content-Length values",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                    "Content-Length: 2\r\n\r\nab")
            .fails_with(errc::bad_content_length),
        corpus_case("a negative Content-Length",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
            .fails_with(errc::bad_content_length),
        corpus_case("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")
            .fails_with(errc::http_bad_host),
        corpus_case("two Hosts", get("/", "Host: a\r\nHost: b\r\n"))
            .fails_with(errc::http_bad_host),
        corpus_case("a Host with a path in it", get("/", "Host: a/b\r\n"))
            .fails_with(errc::http_bad_host),
        corpus_case("a Host with userinfo", get("/", "Host: evil@good\r\n"))
            .fails_with(errc::http_bad_host),
        corpus_case("absolute-form and a Host naming another host",
                    get("http://example.com/p", "Host: other\r\n"))
            .fails_with(errc::http_host_mismatch),
        corpus_case("absolute-form and a Host naming another port",
                    get("http://example.com:8080/p", "Host: example.com\r\n"))
            .fails_with(errc::http_host_mismatch),
        corpus_case("absolute-form and a forged Host (review finding 14)",
                    get("http://a/environ", "Host: evil.example/x?y=<z>@w\r\n"))
            .fails_with(errc::http_bad_host),
        corpus_case("obs-fold with a space (review finding 15)",
                    get("/", "Host: x\r\nX-A: b\r\n c\r\n"))
            .fails_with(errc::http_obs_fold),
        corpus_case("obs-fold with a tab", get("/", "Host: x\r\nX-A: b\r\n\tc\r\n"))
            .fails_with(errc::http_obs_fold),
        corpus_case("a folded Transfer-Encoding",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                    "1\r\n3\r\n0\r\n\r\n")
            .fails_with(errc::http_obs_fold),
        corpus_case("a bare CR in a header value (Beast's refusal)",
                    get("/", "Host: x\r\nX-A: b\rc\r\n"))
            .fails_with(errc::http_bad_request),
        corpus_case("a bare CR ending a header line", get("/", "Host: x\rX-A: b\r\n"))
            .fails_with(errc::http_bad_request),
        corpus_case("a bare LF before the request line", "\n" + get("/"))
            .fails_with(errc::http_bad_request),
        corpus_case("a bare CR before the request line", "\r" + get("/"))
            .fails_with(errc::http_bad_request),
        corpus_case("a NUL decoded from the path", get("/x%00y"))
            .fails_with(errc::http_nul_in_path),
        corpus_case("a NUL after dot-segments (review finding 21)",
                    get("/path/../../etc/%2e%2e/x%00y%2f"))
            .fails_with(errc::http_nul_in_path),
        corpus_case("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n")
            .fails_with(errc::http_unsupported_version),
        corpus_case("bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n")
            .fails_with(errc::http_bad_request)
            .refused_only_whole(),
        corpus_case("a header line ending in a bare LF", get("/", "Host: x\nX: y\r\n"))
            .fails_with(errc::http_bad_request)
            .refused_only_whole(),
        corpus_case("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n")
            .fails_with(errc::http_bad_request),
        corpus_case("OPTIONS * (as nginx: refused)", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
            .fails_with(errc::http_bad_request),
        corpus_case("CONNECT's authority-form",
                    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n")
            .fails_with(errc::http_bad_request),
        corpus_case("a space before the colon (RFC 9112 5.1: must be refused)",
                    get("/", "Host : x\r\n"))
            .fails_with(errc::http_bad_request),
        corpus_case("a NUL in a header value",
                    get("/", std::string("Host: x\r\nX-A: a\0b\r\n", 19)))
            .fails_with(errc::http_bad_request),
        corpus_case("a Content-Length over max_body is refused with the head", form_post)
            .fails_with(errc::http_body_too_large)
            .has({{"PATH_INFO", "/login"}, {"CONTENT_LENGTH", "23"}})
            .max_body(22),
        corpus_case("chunks adding up to over max_body",
                    chunked_post("2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"))
            .fails_with(errc::http_body_too_large)
            .body_is("ab")
            .max_body(4),
        corpus_case("EOF inside the head", "GET / HTTP/1.1\r\nHost: x\r\n")
            .fails_with(errc::http_truncated_head),
        corpus_case("EOF inside the body", form_post.substr(0, form_post.size() - 3))
            .fails_with(errc::http_truncated_body)
            .body_is("user=ada&pass=c%2B%2"),
        corpus_case("EOF before the last chunk's trailers end",
                    chunked_post("3\r\nabc\r\n0\r\nX: y\r\n"))
            .fails_with(errc::http_truncated_body)
            .body_is("abc"),
    };
}

TEST_CASE("invalid requests, cut every way", "[http_request_parser]") {
    for (const corpus_case& c : invalid_cases()) {
        grind(c);
    }
}

}  // namespace
}  // namespace gantry::protocol::test
