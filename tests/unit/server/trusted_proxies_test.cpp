#include <catch2/catch.hpp>

#include <stdexcept>

#include "server/net/trusted_proxies.hpp"

using gantry::server::peer_address;
using gantry::server::trusted_proxies;

namespace {

bool trusts(std::string_view list, std::string host) {
    return trusted_proxies::parse(list).trusts(peer_address{std::move(host), "1234"});
}

}  // namespace

TEST_CASE("the default: loopback and unix-socket peers") {
    const auto t = trusted_proxies::parse("127.0.0.1,::1,unix");
    CHECK(t.trusts({"127.0.0.1", "1"}));
    CHECK(t.trusts({"::1", "1"}));
    CHECK(t.trusts({"", ""}));                   // a unix socket's peer
    CHECK(t.trusts({"::ffff:127.0.0.1", "1"}));  // IPv4 on a dual-stack socket
    CHECK_FALSE(t.trusts({"127.0.0.2", "1"}));
    CHECK_FALSE(t.trusts({"10.0.0.1", "1"}));
    CHECK_FALSE(t.trusts({"not an address", "1"}));
}

TEST_CASE("networks, every peer, nobody") {
    CHECK(trusts("10.0.0.0/8", "10.200.3.4"));
    CHECK_FALSE(trusts("10.0.0.0/8", "11.0.0.1"));
    CHECK(trusts("192.168.1.0/25", "192.168.1.127"));
    CHECK_FALSE(trusts("192.168.1.0/25", "192.168.1.128"));
    CHECK(trusts("fd00::/8", "fd12:3456::1"));
    CHECK_FALSE(trusts("fd00::/8", "fe80::1"));
    CHECK(trusts("0.0.0.0/0", "198.51.100.7"));
    CHECK_FALSE(trusts("0.0.0.0/0", "2001:db8::1"));  // an IPv4 network holds no IPv6 peer
    CHECK(trusts(" 10.0.0.1 , 10.0.0.2 ", "10.0.0.2"));
    CHECK(trusts("*", "2001:db8::1"));
    CHECK(trusts("*", ""));
    CHECK_FALSE(trusts("", "127.0.0.1"));
    CHECK_FALSE(trusts("", ""));
    CHECK(trusted_proxies::parse("").trusts_nobody());
    CHECK_FALSE(trusts("127.0.0.1", ""));  // unix peers only when "unix" is listed
}

TEST_CASE("a bad element is refused, named") {
    for (const char* bad : {"localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
                            "1.2.3.4.5", "unix:/x", "**"}) {
        INFO(bad);
        CHECK_THROWS_WITH(trusted_proxies::parse(bad), Catch::Contains(std::string(bad)));
    }
}
