// --virtualenv: where a relative folder is taken from, the refusal naming the option, and
// PATH as an activated venv has it.
#include <catch2/catch.hpp>

#include "server/process/virtualenv.hpp"
#include "server/util/config_error.hpp"

using Catch::Matchers::Contains;
namespace server = gantry::server;

TEST_CASE("a relative virtualenv is taken from --chdir, where the app runs") {
    server::options o;
    CHECK(server::virtualenv_dir(o).empty());
    o.virtualenv = "venv";
    o.chdir = "/srv/app";
    CHECK(server::virtualenv_dir(o) == "/srv/app/venv");
    o.virtualenv = "/opt/venvs/app/";
    CHECK(server::virtualenv_dir(o) == "/opt/venvs/app/");
    o.virtualenv = "../venvs/./app";
    CHECK(server::virtualenv_dir(o) == "/srv/venvs/app");
}

TEST_CASE("a virtualenv that cannot be used is a config error naming the option") {
    server::options o;
    o.virtualenv = "/nonexistent/gantry-test-venv";
    try {
        server::check_virtualenv(o);
        FAIL("no error");
    } catch (const server::config_error& e) {
        CHECK_THAT(e.what(), Contains("--virtualenv /nonexistent/gantry-test-venv: no such"));
    }
    CHECK(server::check_virtualenv(server::options{}).empty());
}

TEST_CASE("the venv's bin goes first on PATH, once") {
    CHECK(server::path_with_first("/usr/bin:/bin", "/v/bin") == "/v/bin:/usr/bin:/bin");
    CHECK(server::path_with_first("/v/bin:/usr/bin", "/v/bin") == "/v/bin:/usr/bin");
    CHECK(server::path_with_first("/v/bin", "/v/bin") == "/v/bin");
    CHECK(server::path_with_first("/v/bin2:/usr/bin", "/v/bin") == "/v/bin:/v/bin2:/usr/bin");
    CHECK(server::path_with_first("", "/v/bin") == "/v/bin");
}
