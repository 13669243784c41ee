// --virtualenv: where a relative folder is taken from, the refusal naming the option, and
// PATH as an activated venv has it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "server/process/virtualenv.hpp"
#include "server/util/config_error.hpp"

using Catch::Matchers::Contains;
namespace server = gantry::server;

TEST_CASE("a relative virtualenv is taken from --chdir, where the app runs") {
    CHECK(server::virtualenv_dir("", "/srv/app").empty());
    CHECK(server::virtualenv_dir("venv", "/srv/app") == "/srv/app/venv");
    CHECK(server::virtualenv_dir("/opt/venvs/app/", "/srv/app") == "/opt/venvs/app/");
    CHECK(server::virtualenv_dir("../venvs/./app", "/srv/app") == "/srv/venvs/app");
    CHECK(server::virtualenv_dir("venv", "") == std::filesystem::current_path() / "venv");
}

TEST_CASE("a virtualenv that cannot be used is a config error naming the option") {
    try {
        server::check_virtualenv("/nonexistent/gantry-test-venv");
        FAIL("no error");
    } catch (const server::config_error& e) {
        CHECK_THAT(e.what(), Contains("--virtualenv /nonexistent/gantry-test-venv: no such"));
    }
    CHECK(server::check_virtualenv({}).empty());
}

TEST_CASE("the venv's bin goes first on PATH, once") {
    CHECK(server::path_with_first("/usr/bin:/bin", "/v/bin") == "/v/bin:/usr/bin:/bin");
    CHECK(server::path_with_first("/v/bin:/usr/bin", "/v/bin") == "/v/bin:/usr/bin");
    CHECK(server::path_with_first("/v/bin", "/v/bin") == "/v/bin");
    CHECK(server::path_with_first("/v/bin2:/usr/bin", "/v/bin") == "/v/bin:/v/bin2:/usr/bin");
    CHECK(server::path_with_first("", "/v/bin") == "/v/bin");
}
