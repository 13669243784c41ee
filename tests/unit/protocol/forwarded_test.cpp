#include <catch2/catch.hpp>

#include "protocol/forwarded.hpp"

using gantry::protocol::forwarded_client;
using gantry::protocol::forwarded_proto;
using gantry::protocol::forwarded_scheme;

TEST_CASE("X-Forwarded-For: the last element is the address the proxy saw") {
    CHECK(forwarded_client("203.0.113.9") == "203.0.113.9");
    // nginx's $proxy_add_x_forwarded_for: what the client claimed, then what nginx saw.
    CHECK(forwarded_client("10.9.9.9, 203.0.113.9") == "203.0.113.9");
    CHECK(forwarded_client("1.1.1.1,\t2001:db8::1 ") == "2001:db8::1");
    CHECK(forwarded_client("::ffff:192.0.2.1") == "::ffff:192.0.2.1");
}

TEST_CASE("X-Forwarded-For: no address unless the last element is one") {
    for (const char* bad :
         {"", " ", "203.0.113.9,", "unknown", "203.0.113.9, evil", "[2001:db8::1]",
          "203.0.113.9:443", "fe80::1%eth0", "256.1.1.1", "1.2.3", "203.0.113.9 203.0.113.10",
          "0000000000000000000000000000000000000000000000000000000000001"}) {
        INFO(bad);
        CHECK_FALSE(forwarded_client(bad).has_value());
    }
}

TEST_CASE("X-Forwarded-Proto: https or http, else unknown") {
    CHECK(forwarded_proto("https") == forwarded_scheme::https);
    CHECK(forwarded_proto(" HTTPS ") == forwarded_scheme::https);
    CHECK(forwarded_proto("http") == forwarded_scheme::http);
    CHECK(forwarded_proto("http, https") == forwarded_scheme::https);  // the nearest proxy's
    CHECK(forwarded_proto("https, http") == forwarded_scheme::http);
    CHECK(forwarded_proto("") == forwarded_scheme::unknown);
    CHECK(forwarded_proto("wss") == forwarded_scheme::unknown);
    CHECK(forwarded_proto("httpss") == forwarded_scheme::unknown);
}
