// The HTTP rules of a static file response: validators, dates, conditional and range
// requests, coding negotiation and the response head, byte for byte.
#include "protocol/static_response.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace gantry::protocol {
namespace {

constexpr std::int64_t rfc_time = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

file_facts facts(std::uint64_t size, std::int64_t mtime = rfc_time) {
    return {size, mtime, 123, 0x1a2b};
}

const std::string tag = strong_etag(facts(1000));

static_decision range(std::string_view value, std::uint64_t size = 1000,
                      std::string_view if_range = "") {
    static_conditions c;
    c.range = value;
    c.if_range = if_range;
    return decide_static(c, facts(size), tag);
}

TEST_CASE("a strong ETag from inode, size and mtime in nanoseconds", "[static_response]") {
    CHECK(strong_etag({5, 1700000000, 123, 0x1a2b}) == "\"1a2b-5-17979cfe362a007b\"");
    CHECK(strong_etag({0, 0, 0, 0}) == "\"0-0-0\"");
    CHECK(strong_etag({5, 1700000000, 124, 0x1a2b}) != strong_etag({5, 1700000000, 123, 0x1a2b}));
    CHECK(strong_etag({6, 1700000000, 123, 0x1a2b}) != strong_etag({5, 1700000000, 123, 0x1a2b}));
    CHECK(strong_etag({5, 1700000000, 123, 0x1a2c}) != strong_etag({5, 1700000000, 123, 0x1a2b}));
}

TEST_CASE("http_date writes IMF-fixdate", "[static_response]") {
    CHECK(http_date(rfc_time) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
    CHECK(http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(http_date(1700000000) == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(http_date(4102444800) == "Fri, 01 Jan 2100 00:00:00 GMT");
    CHECK(http_date(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK(http_date(-62135596800) == "Mon, 01 Jan 0001 00:00:00 GMT");
}

TEST_CASE("parse_http_date reads the three forms", "[static_response]") {
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == rfc_time);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == rfc_time);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == rfc_time);
    CHECK(parse_http_date("Sun Nov 06 08:49:37 1994") == rfc_time);
    CHECK(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t") == rfc_time);  // OWS
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    CHECK(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT") == -1);
    CHECK(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);
    CHECK(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT") == 253402300799);
    // Two-digit years: 70-99 are 19xx, 00-69 20xx.
    CHECK(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT") == 0);
    CHECK(parse_http_date("Tuesday, 29-Feb-00 00:00:00 GMT") == 951782400);
    CHECK(parse_http_date("Monday, 31-Dec-69 23:59:59 GMT") == 3155759999);
    // A leap second is a time-of-day RFC 9110 allows; it is the next second.
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT") == rfc_time + 23);
    // The weekday is read, not checked against the date (as nginx does).
    CHECK(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT") == rfc_time);
}

TEST_CASE("parse_http_date refuses anything else", "[static_response]") {
    for (const char* bad : {
             "",
             "yesterday",
             "784111777",
             "Sun, 06 Nov 1994 08:49:37 UTC",
             "Sun, 06 Nov 1994 08:49:37 gmt",
             "sun, 06 Nov 1994 08:49:37 GMT",
             "Sun, 06 nov 1994 08:49:37 GMT",
             "Sun, 6 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 94 08:49:37 GMT",
             "Sun, 06 Nov 1994 8:49:37 GMT",
             "Sun, 06 Nov 1994 08:49 GMT",
             "Sun, 06 Nov 1994 08:49:37 GMT; length=12",
             "Sun, 06 Nov 1994 08:49:37 GMTX",
             "Sun,  06 Nov 1994 08:49:37 GMT",
             "Sun, 31 Nov 1994 08:49:37 GMT",
             "Sun, 00 Nov 1994 08:49:37 GMT",
             "Sun, 29 Feb 1900 08:49:37 GMT",
             "Sun, 06 Nov 1994 24:00:00 GMT",
             "Sun, 06 Nov 1994 08:60:00 GMT",
             "Sun, 06 Nov 1994 08:49:61 GMT",
             "Sun, 06 Xyz 1994 08:49:37 GMT",
             "Sunday, 06-Nov-1994 08:49:37 GMT",
             "Sun, 06-Nov-94 08:49:37 GMT",
             "Sun Nov 6 08:49:37 1994",
             "Sun Nov  6 08:49:37 1994 GMT",
             "Sun Nov  6 08:49:37 94",
         }) {
        INFO(bad);
        CHECK_FALSE(parse_http_date(bad).has_value());
    }
}

TEST_CASE("http_date and parse_http_date round-trip", "[static_response]") {
    for (std::int64_t t : {std::int64_t{0}, std::int64_t{1}, rfc_time, std::int64_t{951782399},
                           std::int64_t{1700000000}, std::int64_t{4102444799}}) {
        CHECK(parse_http_date(http_date(t)) == t);
    }
}

TEST_CASE("accepts_coding reads q-values, '*' and case", "[static_response]") {
    CHECK(accepts_coding("gzip", "gzip"));
    CHECK(accepts_coding("gzip, deflate, br", "br"));
    CHECK(accepts_coding("deflate,gzip", "gzip"));
    CHECK(accepts_coding("GZip", "gzip"));
    CHECK(accepts_coding("gzip", "GZIP"));
    CHECK(accepts_coding("x-gzip", "gzip"));
    CHECK(accepts_coding("  gzip  ;  q=0.5  ", "gzip"));
    CHECK(accepts_coding("gzip;q=1", "gzip"));
    CHECK(accepts_coding("gzip;q=1.000", "gzip"));
    CHECK(accepts_coding("gzip;Q=0.001", "gzip"));
    CHECK(accepts_coding("gzip;level=9;q=0.2", "gzip"));
    CHECK(accepts_coding("*", "br"));
    CHECK(accepts_coding("*;q=0.1", "br"));
    CHECK(accepts_coding("identity, *;q=0.5", "gzip"));

    CHECK_FALSE(accepts_coding("", "gzip"));
    CHECK_FALSE(accepts_coding("deflate", "gzip"));
    CHECK_FALSE(accepts_coding("gzipx", "gzip"));
    CHECK_FALSE(accepts_coding("x-gzip", "br"));
    CHECK_FALSE(accepts_coding("gzip;q=0", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=0.000", "gzip"));
    CHECK_FALSE(accepts_coding("gzip; q=0.0", "gzip"));
    CHECK_FALSE(accepts_coding("*;q=0", "gzip"));
    CHECK_FALSE(accepts_coding("*, gzip;q=0", "gzip"));  // named with q=0 beats "*"
    CHECK_FALSE(accepts_coding("gzip, gzip;q=0", "gzip"));
    CHECK_FALSE(accepts_coding("*, *;q=0", "gzip"));
    // A malformed weight is no acceptance.
    CHECK_FALSE(accepts_coding("gzip;q=", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=2", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=1.5", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=0.0001", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=abc", "gzip"));
    CHECK_FALSE(accepts_coding("gzip;q=-1", "gzip"));
}

TEST_CASE("no conditions: the whole file", "[static_response]") {
    const static_decision d = decide_static({}, facts(1000), tag);
    CHECK(d.status == 200);
    CHECK(d.body.first == 0);
    CHECK(d.body.length == 1000);
}

TEST_CASE("If-None-Match: weak comparison over a list", "[static_response]") {
    const auto decide = [](std::string_view inm, std::string_view ims = "") {
        static_conditions c;
        c.if_none_match = inm;
        c.if_modified_since = ims;
        return decide_static(c, facts(1000), tag).status;
    };
    CHECK(decide(tag) == 304);
    CHECK(decide("W/" + tag) == 304);
    CHECK(decide("*") == 304);
    CHECK(decide("\"a\", " + tag) == 304);
    CHECK(decide("\"a\",W/" + tag + " , \"b\"") == 304);
    CHECK(decide("bogus, " + tag) == 304);  // a malformed element matches nothing
    CHECK(decide("\"a\"") == 200);
    CHECK(decide("\"a\", \"b\"") == 200);
    CHECK(decide(tag.substr(0, tag.size() - 1)) == 200);  // unterminated
    CHECK(decide("bogus") == 200);
    // With If-None-Match present, If-Modified-Since is not looked at.
    CHECK(decide("\"a\"", "Sun, 06 Nov 1994 08:49:37 GMT") == 200);
    CHECK(decide(tag, "Sat, 05 Nov 1994 08:49:37 GMT") == 304);

    static_conditions c;
    c.if_none_match = tag;
    const static_decision d = decide_static(c, facts(1000), tag);
    CHECK(d.body.length == 0);
}

TEST_CASE("If-Modified-Since: a date at or after the mtime", "[static_response]") {
    const auto decide = [](std::string_view ims) {
        static_conditions c;
        c.if_modified_since = ims;
        return decide_static(c, facts(1000), tag).status;
    };
    CHECK(decide("Sun, 06 Nov 1994 08:49:37 GMT") == 304);
    CHECK(decide("Sun, 06 Nov 1994 08:49:38 GMT") == 304);
    CHECK(decide("Sunday, 06-Nov-94 08:49:37 GMT") == 304);
    CHECK(decide("Sun Nov  6 08:49:37 1994") == 304);
    CHECK(decide("Sun, 06 Nov 1994 08:49:36 GMT") == 200);
    CHECK(decide("not a date") == 200);  // unparsable: ignored
    CHECK(decide("Sun, 06 Nov 1994 08:49:37 GMT; length=1000") == 200);
}

TEST_CASE("If-Match: strong comparison over a list, else 412", "[static_response]") {
    const auto decide = [](std::string_view im, std::string_view ius = "") {
        static_conditions c;
        c.if_match = im;
        c.if_unmodified_since = ius;
        return decide_static(c, facts(1000), tag).status;
    };
    CHECK(decide(tag) == 200);
    CHECK(decide("*") == 200);
    CHECK(decide(" * ") == 200);
    CHECK(decide("\"a\", " + tag) == 200);
    CHECK(decide("bogus, " + tag) == 200);  // a malformed element matches nothing
    CHECK(decide("W/" + tag) == 412);       // a weak tag never matches strongly
    CHECK(decide("\"a\"") == 412);
    CHECK(decide(tag.substr(0, tag.size() - 1)) == 412);  // unterminated
    CHECK(decide("bogus") == 412);
    // With If-Match present, If-Unmodified-Since is not looked at.
    CHECK(decide(tag, "Sat, 05 Nov 1994 08:49:37 GMT") == 200);

    static_conditions c;
    c.if_match = "\"a\"";
    c.range = "bytes=0-9";
    c.if_none_match = tag;  // a 412 comes before a 304 and before the range
    const static_decision d = decide_static(c, facts(1000), tag);
    CHECK(d.status == 412);
    CHECK(d.body.length == 0);
}

TEST_CASE("If-Unmodified-Since: a date before the mtime is a 412", "[static_response]") {
    const auto decide = [](std::string_view ius) {
        static_conditions c;
        c.if_unmodified_since = ius;
        c.range = "bytes=0-9";
        return decide_static(c, facts(1000), tag).status;
    };
    CHECK(decide("Sun, 06 Nov 1994 08:49:37 GMT") == 206);
    CHECK(decide("Mon, 07 Nov 1994 08:49:37 GMT") == 206);
    CHECK(decide("Sun, 06 Nov 1994 08:49:36 GMT") == 412);
    CHECK(decide("not a date") == 206);  // unparsable: ignored
}

TEST_CASE("a 304 wins over Range; HEAD is decided the same", "[static_response]") {
    static_conditions c;
    c.if_none_match = tag;
    c.range = "bytes=0-9";
    CHECK(decide_static(c, facts(1000), tag).status == 304);
    c.if_none_match = "\"other\"";
    c.head = true;
    const static_decision d = decide_static(c, facts(1000), tag);
    CHECK(d.status == 206);
    CHECK(d.body.first == 0);
    CHECK(d.body.length == 10);
}

TEST_CASE("Range: one satisfiable range is a 206 of it", "[static_response]") {
    const auto check = [](std::string_view value, std::uint64_t size, std::uint64_t first,
                          std::uint64_t length) {
        INFO(value << " of " << size);
        const static_decision d = range(value, size);
        CHECK(d.status == 206);
        CHECK(d.body.first == first);
        CHECK(d.body.length == length);
    };
    check("bytes=0-0", 1000, 0, 1);
    check("bytes=0-99", 1000, 0, 100);
    check("bytes=100-199", 1000, 100, 100);
    check("bytes=500-", 1000, 500, 500);
    check("bytes=0-", 1000, 0, 1000);
    check("bytes=999-", 1000, 999, 1);
    check("bytes=-1", 1000, 999, 1);
    check("bytes=-100", 1000, 900, 100);
    check("bytes=-5000", 1000, 0, 1000);                // a suffix past the start: all of it
    check("bytes=0-999999", 10, 0, 10);                 // last-pos past the end: clamped
    check("bytes=4-99999999999999999999999", 5, 4, 1);  // saturated, then clamped
    check("bytes=0-4", 5, 0, 5);
    check("BYTES=0-0", 1000, 0, 1);  // the unit is case-insensitive
    check(" bytes=1-2 ", 1000, 1, 2);
    check("bytes= 1-2 ", 1000, 1, 2);
    check("bytes=1-2,", 1000, 1, 2);  // an empty list element is no range
    check("bytes=,1-2", 1000, 1, 2);
}

TEST_CASE("Range: an unsatisfiable range is a 416", "[static_response]") {
    for (const char* value : {"bytes=5-", "bytes=5-9", "bytes=-0", "bytes=99999999999999999999-"}) {
        INFO(value);
        const static_decision d = range(value, 5);
        CHECK(d.status == 416);
        CHECK(d.body.length == 0);
    }
    // A file of no bytes satisfies no range.
    for (const char* value : {"bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-0", "bytes=0-9"}) {
        INFO(value);
        CHECK(range(value, 0).status == 416);
    }
}

TEST_CASE("Range: several, other units, bad syntax -> the whole file", "[static_response]") {
    for (const char* value : {
             "bytes=0-1,3-4",
             "bytes=0-1, 3-4",
             "bytes=5-,6-",  // both unsatisfiable: still several
             "items=0-1",
             "bytes 0-1",
             "bytes=",
             "bytes=-",
             "bytes=1-0",  // last-pos before first-pos: invalid
             "bytes=a-b",
             "bytes=0-1x",
             "bytes=--1",
             "bytes=0--1",
             "bytes=1",
             "bytes=+1-2",
             "bytes=0x10-",
             "bytes=1 -2",
         }) {
        INFO(value);
        const static_decision d = range(value, 5);
        CHECK(d.status == 200);
        CHECK(d.body.first == 0);
        CHECK(d.body.length == 5);
    }
}

TEST_CASE("If-Range: the strong ETag or the exact date, else the whole file", "[static_response]") {
    CHECK(range("bytes=0-9", 1000, tag).status == 206);
    CHECK(range("bytes=0-9", 1000, " " + tag + " ").status == 206);
    CHECK(range("bytes=0-9", 1000, "W/" + tag).status == 200);  // a weak tag never matches
    CHECK(range("bytes=0-9", 1000, "\"other\"").status == 200);
    CHECK(range("bytes=0-9", 1000, tag + ", \"other\"").status == 200);  // not a list
    CHECK(range("bytes=0-9", 1000, "Sun, 06 Nov 1994 08:49:37 GMT").status == 206);
    CHECK(range("bytes=0-9", 1000, "Sun, 06 Nov 1994 08:49:38 GMT").status == 200);
    CHECK(range("bytes=0-9", 1000, "Sun, 06 Nov 1994 08:49:36 GMT").status == 200);
    CHECK(range("bytes=0-9", 1000, "garbage").status == 200);
    // A 416 needs If-Range to hold as well.
    CHECK(range("bytes=2000-", 1000, tag).status == 416);
    CHECK(range("bytes=2000-", 1000, "\"other\"").status == 200);
    // Without Range, If-Range changes nothing.
    CHECK(range("", 1000, "\"other\"").status == 200);
}

static_head head_of(int status) {
    static_head h;
    h.status = status;
    h.content_type = "text/css; charset=utf-8";
    h.etag = "\"1a2b-3e8-0\"";
    h.last_modified = rfc_time;
    h.file_size = 1000;
    h.body = {0, 1000};
    return h;
}

constexpr std::int64_t now = 1700000000;

TEST_CASE("the head of a 200", "[static_response]") {
    CHECK(static_response_head(head_of(200), now) ==
          "HTTP/1.1 200 OK\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Content-Type: text/css; charset=utf-8\r\n"
          "Content-Length: 1000\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Accept-Ranges: bytes\r\n"
          "\r\n");
}

TEST_CASE("the head of a 200 with every optional header", "[static_response]") {
    static_head h = head_of(200);
    h.content_encoding = "gzip";
    h.cache_control = "max-age=3600";
    h.expires = now + 3600;
    h.vary_accept_encoding = true;
    h.keep_alive = false;
    CHECK(static_response_head(h, now) ==
          "HTTP/1.1 200 OK\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Content-Type: text/css; charset=utf-8\r\n"
          "Content-Length: 1000\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Accept-Ranges: bytes\r\n"
          "Cache-Control: max-age=3600\r\n"
          "Expires: Tue, 14 Nov 2023 23:13:20 GMT\r\n"
          "Vary: Accept-Encoding\r\n"
          "Content-Encoding: gzip\r\n"
          "Connection: close\r\n"
          "\r\n");
}

TEST_CASE("HTTP/1.0 gets its own status line and keep-alive", "[static_response]") {
    static_head h = head_of(200);
    h.http11 = false;
    const std::string kept = static_response_head(h, now);
    CHECK(kept.starts_with("HTTP/1.0 200 OK\r\n"));
    CHECK(kept.ends_with("Accept-Ranges: bytes\r\nConnection: keep-alive\r\n\r\n"));
    h.keep_alive = false;
    CHECK(static_response_head(h, now).ends_with("Connection: close\r\n\r\n"));
}

TEST_CASE("the head of a 206", "[static_response]") {
    static_head h = head_of(206);
    h.body = {100, 100};
    h.vary_accept_encoding = true;
    CHECK(static_response_head(h, now) ==
          "HTTP/1.1 206 Partial Content\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Content-Type: text/css; charset=utf-8\r\n"
          "Content-Length: 100\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Accept-Ranges: bytes\r\n"
          "Content-Range: bytes 100-199/1000\r\n"
          "Vary: Accept-Encoding\r\n"
          "\r\n");
    h.body = {999, 1};
    CHECK(static_response_head(h, now).find("Content-Range: bytes 999-999/1000\r\n") !=
          std::string::npos);
}

TEST_CASE("the head of a 304: validators and caching, no content", "[static_response]") {
    static_head h = head_of(304);
    h.content_encoding = "gzip";
    h.cache_control = "max-age=60";
    h.expires = now + 60;
    h.vary_accept_encoding = true;
    h.body = {};
    CHECK(static_response_head(h, now) ==
          "HTTP/1.1 304 Not Modified\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Cache-Control: max-age=60\r\n"
          "Expires: Tue, 14 Nov 2023 22:14:20 GMT\r\n"
          "Vary: Accept-Encoding\r\n"
          "\r\n");
}

TEST_CASE("the head of a 416: the size, no content, not cached", "[static_response]") {
    static_head h = head_of(416);
    h.content_encoding = "gzip";
    h.cache_control = "max-age=60";
    h.expires = now + 60;
    h.body = {};
    CHECK(static_response_head(h, now) ==
          "HTTP/1.1 416 Range Not Satisfiable\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Content-Length: 0\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Accept-Ranges: bytes\r\n"
          "Content-Range: bytes */1000\r\n"
          "\r\n");
}

TEST_CASE("the head of a 412: no content, not cached, no range", "[static_response]") {
    static_head h = head_of(412);
    h.content_encoding = "gzip";
    h.cache_control = "max-age=60";
    h.expires = now + 60;
    h.vary_accept_encoding = false;
    h.body = {};
    CHECK(static_response_head(h, now) ==
          "HTTP/1.1 412 Precondition Failed\r\n"
          "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
          "Content-Length: 0\r\n"
          "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
          "ETag: \"1a2b-3e8-0\"\r\n"
          "Accept-Ranges: bytes\r\n"
          "\r\n");
}

TEST_CASE("decide_static feeds static_response_head", "[static_response]") {
    const file_facts f = facts(5);
    const std::string etag = strong_etag(f);
    static_conditions c;
    c.range = "bytes=-2";
    const static_decision d = decide_static(c, f, etag);
    static_head h;
    h.status = d.status;
    h.content_type = "text/plain; charset=utf-8";
    h.etag = etag;
    h.last_modified = f.mtime_sec;
    h.file_size = f.size;
    h.body = d.body;
    const std::string head = static_response_head(h, now);
    CHECK(head.starts_with("HTTP/1.1 206 Partial Content\r\n"));
    CHECK(head.find("Content-Length: 2\r\n") != std::string::npos);
    CHECK(head.find("Content-Range: bytes 3-4/5\r\n") != std::string::npos);
}

}  // namespace
}  // namespace gantry::protocol
