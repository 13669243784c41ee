// --log-level: how its value is read from the command line, printed back, and applied by
// the log. (Config files: config_corpus/log_level*.yaml and ini_log_level*.ini.)
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "server/log/level.hpp"
#include "server/log/log.hpp"
#include "server/options/load_options.hpp"
#include "server/options/option_table.hpp"
#include "server/util/config_error.hpp"
#include "tests/unit/server/parse_options.hpp"

namespace server = gantry::server;

namespace {

using server::testing::error_of;
using server::testing::parse;

}  // namespace

TEST_CASE("--log-level defaults to info and takes each level by name") {
    CHECK(parse({}).log_level == server::log::level::info);
    CHECK(parse({"--log-level", "debug"}).log_level == server::log::level::debug);
    CHECK(parse({"--log-level=info"}).log_level == server::log::level::info);
    CHECK(parse({"--log-level", "warning"}).log_level == server::log::level::warning);
    CHECK(parse({"--log-level", "error"}).log_level == server::log::level::error);
}

TEST_CASE("a bad --log-level names the option and the levels") {
    CHECK(error_of({"--log-level", "loud"}) ==
          "--log-level: expected debug, info, warning or error, got 'loud'");
    CHECK(error_of({"--log-level", "DEBUG"}) ==
          "--log-level: expected debug, info, warning or error, got 'DEBUG'");
    CHECK(error_of({"--log-level", ""}) ==
          "--log-level: expected debug, info, warning or error, got ''");
}

TEST_CASE("--print-config shows --log-level only when it is not the default") {
    CHECK(server::config_yaml(parse({})).find("log-level") == std::string::npos);
    CHECK(server::config_yaml(parse({"--log-level", "error"})).find("  log-level: error\n") !=
          std::string::npos);
}

TEST_CASE("level names go both ways") {
    for (auto l : {server::log::level::debug, server::log::level::info, server::log::level::warning,
                   server::log::level::error}) {
        CHECK(server::log::level_named(server::log::name_of(l)) == l);
    }
    CHECK_FALSE(server::log::level_named("warn"));
}

TEST_CASE("the log writes its configured level and above") {
    server::log::configure(
        {.json = false, .requests = true, .lowest = server::log::level::debug, .date_format = {}});
    CHECK(server::log::enabled(server::log::level::debug));
    CHECK(server::log::requests_enabled());
    server::log::configure({.json = false,
                            .requests = true,
                            .lowest = server::log::level::warning,
                            .date_format = {}});
    CHECK_FALSE(server::log::enabled(server::log::level::info));
    CHECK(server::log::enabled(server::log::level::warning));
    CHECK_FALSE(server::log::requests_enabled());  // request lines are info lines
    server::log::configure({});
    CHECK_FALSE(server::log::enabled(server::log::level::debug));
    CHECK(server::log::enabled(server::log::level::info));
}
