// The "parsegrind" of http_request_parser (after Beast's test of that name): a corpus case
// is read whole, split in two reads at every byte, one byte per read, and with its body
// taken a few bytes at a time; every way of cutting it must give the same outcome, and the
// uncut one must match the case's expectations.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "protocol/errc.hpp"
#include "protocol/http_request_parser.hpp"

namespace gantry::protocol::test {

using text_pair = std::pair<std::string, std::string>;

inline std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// What a reader made of a request; compared across every way of cutting it.
struct outcome {
    std::error_code error;
    std::string reported_by;  // "feed", "feed_body", "finish", or empty without an error
    bool done = false;
    bool body_done = false;
    bool keep_alive = false;
    bool expects_continue = false;
    bool chunked = false;
    std::uint64_t content_length = 0;
    std::vector<text_pair> vars;  // once the head is complete
    std::string body;
    std::string leftover;  // the bytes left for the next request, without an error

    bool operator==(const outcome&) const = default;
};

}  // namespace gantry::protocol::test

template <>
struct Catch::StringMaker<gantry::protocol::test::outcome> {
    static std::string convert(const gantry::protocol::test::outcome& o) {
        std::ostringstream out;
        out << "{error=" << (o.error ? o.error.message() : "none") << " by=" << o.reported_by
            << " done=" << o.done << " body_done=" << o.body_done << " keep_alive=" << o.keep_alive
            << " continue=" << o.expects_continue << " chunked=" << o.chunked
            << " content_length=" << o.content_length << "\n  body='" << o.body << "'\n  leftover='"
            << o.leftover << "'\n  vars:";
        for (const auto& [k, v] : o.vars) {
            out << "\n    " << k << "=" << v;
        }
        return out.str() + "}";
    }
};

namespace gantry::protocol::test {

// Plays a connection: the bytes arrive in pieces ending at `cuts`, the reader keeps what the
// parser did not consume and scribbles over what it did (so a view into it would show).
inline outcome read_request(http_request_parser& parser, std::string_view input,
                            const std::vector<std::size_t>& cuts, std::size_t max_data) {
    outcome got;
    std::string buf;
    std::size_t pos = 0;
    auto cut = cuts.begin();
    const auto receive = [&] {
        if (pos == input.size()) {
            return false;
        }
        const std::size_t end = cut != cuts.end() ? *cut++ : input.size();
        buf.append(input.substr(pos, end - pos));
        pos = end;
        return true;
    };
    const auto drop = [&buf](std::size_t n) {
        std::fill_n(buf.begin(), n, '#');
        buf.erase(0, n);
    };
    const auto fail = [&](std::error_code ec, const char* by) {
        got.error = ec;
        got.reported_by = ec ? by : "";
    };
    std::error_code ec;
    while (!got.error && !parser.done()) {
        const std::size_t n = parser.feed(bytes_of(buf), ec);
        if (ec) {
            fail(ec, "feed");
            break;
        }
        drop(n);
        if (n == 0 && !receive()) {
            fail(parser.finish(), "finish");
            break;
        }
    }
    while (!got.error && parser.done() && !parser.body_done()) {
        const http_body_piece piece = parser.feed_body(bytes_of(buf), ec, max_data);
        if (ec) {
            fail(ec, "feed_body");
            break;
        }
        got.body.append(reinterpret_cast<const char*>(piece.data.data()), piece.data.size());
        drop(piece.consumed);
        if (piece.consumed == 0 && !receive()) {
            fail(parser.finish(), "finish");
            break;
        }
    }
    got.done = parser.done();
    got.body_done = parser.body_done();
    if (parser.done() || got.error == errc::http_body_too_large) {
        const request_head& head = parser.head();
        for (const var& v : head.vars) {
            got.vars.emplace_back(v.key, v.value);
        }
        got.chunked = head.chunked;
        got.content_length = head.content_length;
        got.keep_alive = parser.keep_alive();
        got.expects_continue = parser.expects_continue();
    }
    if (!got.error) {
        got.leftover = buf + std::string(input.substr(pos));
    }
    return got;
}

// A request and what reading it must give, written as a chain:
// corpus_case("name", bytes).has({{"PATH_INFO", "/"}}).body_is("...").
struct corpus_case {
    corpus_case(std::string_view name_, std::string input_)
        : name(name_), input(std::move(input_)) {}

    corpus_case& fails_with(errc e) { return error = e, *this; }
    // Vars that must be there with these values; exactly() for all of them, in order.
    corpus_case& has(std::vector<text_pair> v) { return vars = std::move(v), *this; }
    corpus_case& exactly() { return exact = true, *this; }
    corpus_case& lacks(std::vector<std::string_view> keys) {
        return absent = std::move(keys), *this;
    }
    corpus_case& body_is(std::string b) { return body = std::move(b), *this; }
    corpus_case& leaves(std::string l) { return leftover = std::move(l), *this; }
    corpus_case& closes() { return keep_alive = false, *this; }
    corpus_case& expects_100() { return expects_continue = true, *this; }
    corpus_case& max_head(std::size_t n) { return limits.max_head = n, *this; }
    corpus_case& max_body(std::uint64_t n) { return limits.max_body = n, *this; }
    // Once Beast has seen part of a line it waits for the blank line ending the head before
    // parsing again: a head with no CRLF CRLF, refused whole, is then truncated at EOF.
    corpus_case& refused_only_whole() { return cut_waits_for_eof = true, *this; }

    std::string_view name;
    std::string input;
    std::optional<errc> error;  // from feed() or feed_body(), or from finish() at EOF
    std::vector<text_pair> vars;
    bool exact = false;
    std::vector<std::string_view> absent;
    std::string body;
    std::string leftover;
    bool keep_alive = true;
    bool expects_continue = false;
    http_limits limits;
    bool cut_waits_for_eof = false;
};

// The reader's outcome for the case when nothing is cut, checked against the case.
inline void check_expectations(const corpus_case& c, const outcome& got) {
    INFO(Catch::Detail::stringify(got));
    if (c.error) {
        CHECK(got.error == *c.error);
        CHECK(got.reported_by ==
              (*c.error == errc::http_truncated_head || *c.error == errc::http_truncated_body
                   ? "finish"
               : got.done ? "feed_body"
                          : "feed"));
    } else {
        CHECK_FALSE(got.error);
        CHECK(got.done);
        CHECK(got.body_done);
        CHECK(got.keep_alive == c.keep_alive);
        CHECK(got.expects_continue == c.expects_continue);
        CHECK(got.leftover == c.leftover);
    }
    CHECK(got.body == c.body);
    if (c.exact) {
        CHECK(got.vars == c.vars);
    }
    const auto find = [&got](std::string_view key) -> std::optional<std::string> {
        for (auto it = got.vars.rbegin(); it != got.vars.rend(); ++it) {
            if (it->first == key) {
                return it->second;
            }
        }
        return std::nullopt;
    };
    for (const auto& [key, value] : c.vars) {
        CHECK(find(key) == std::optional<std::string>(value));
    }
    for (std::string_view key : c.absent) {
        CHECK_FALSE(find(key));
    }
}

inline void grind(const corpus_case& c) {
    INFO(c.name);
    http_request_parser parser(c.limits);
    const outcome whole = read_request(parser, c.input, {}, SIZE_MAX);
    check_expectations(c, whole);
    outcome truncated;
    truncated.error = errc::http_truncated_head;
    truncated.reported_by = "finish";
    const auto again = [&](const std::vector<std::size_t>& cuts, std::size_t max_data) {
        parser.reset();
        outcome got = read_request(parser, c.input, cuts, max_data);
        return c.cut_waits_for_eof && got == truncated ? whole : got;
    };
    // Past 2 KiB (the cases over the 8 KiB default limit), every byte only where something
    // happens: near either end and around the head limit; every 61st byte elsewhere.
    const std::size_t n = c.input.size();
    const auto worth_cutting = [&](std::size_t i) {
        const auto near = [i](std::size_t at) { return i + 64 >= at && i <= at + 64; };
        return n <= 2048 || i < 512 || i + 512 > n || near(c.limits.max_head) || i % 61 == 0;
    };
    for (std::size_t i = 1; i < n; ++i) {
        if (!worth_cutting(i)) {
            continue;
        }
        const outcome got = again({i}, SIZE_MAX);
        if (got != whole) {  // one assertion per case, not per byte: the corpus stays fast
            INFO("split at " << i);
            REQUIRE(got == whole);
        }
    }
    std::vector<std::size_t> every_byte(c.input.size());
    std::iota(every_byte.begin(), every_byte.end(), std::size_t{1});
    CHECK(again(every_byte, SIZE_MAX) == whole);
    CHECK(again({}, 3) == whole);
    CHECK(again(every_byte, 1) == whole);
    // A fresh parser agrees with a reset one.
    http_request_parser fresh(c.limits);
    CHECK(read_request(fresh, c.input, {}, SIZE_MAX) == whole);
}

// --- request builders shared by the corpora ---------------------------------------------

inline std::string get(std::string_view target, std::string_view headers = "Host: x\r\n") {
    return "GET " + std::string(target) + " HTTP/1.1\r\n" + std::string(headers) + "\r\n";
}

inline std::string chunked_post(std::string_view chunks) {
    return "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string(chunks);
}

inline const std::string curl_get =
    "GET /hello/w%C3%B6rld?name=gantry&x=%20 HTTP/1.1\r\n"
    "Host: localhost:8000\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n\r\n";

inline const std::string form_post =
    "POST /login HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 23\r\n\r\n"
    "user=ada&pass=c%2B%2B!!";

}  // namespace gantry::protocol::test
