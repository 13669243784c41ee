#include <catch2/catch.hpp>

#include "protocol/request_start.hpp"

using gantry::protocol::request_start_us;

TEST_CASE("X-Request-Start: nginx's t=${msec}, seconds with a fraction") {
    CHECK(request_start_us("t=1700000000.123") == 1'700'000'000'123'000);
    CHECK(request_start_us("1700000000.5") == 1'700'000'000'500'000);
    CHECK(request_start_us("t=1700000000.1234567") == 1'700'000'000'123'456);
}

TEST_CASE("X-Request-Start: whole seconds, milliseconds and microseconds by size") {
    CHECK(request_start_us("t=1700000000") == 1'700'000'000'000'000);
    CHECK(request_start_us("1700000000123") == 1'700'000'000'123'000);
    CHECK(request_start_us("t=1700000000123456") == 1'700'000'000'123'456);
}

TEST_CASE("X-Request-Start: anything else is no time") {
    for (const char* bad : {"", "t=", "t=abc", "1700000000.", ".5", "t=17e9", "-1700000000",
                            "1700000000.12x", "t=1234567890123456789012", "t= 1700000000"}) {
        INFO(bad);
        CHECK_FALSE(request_start_us(bad).has_value());
    }
}
