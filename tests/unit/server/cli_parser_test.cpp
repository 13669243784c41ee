#include <catch2/catch.hpp>

#include <filesystem>
#include <vector>

#include "server/net/listen_address.hpp"
#include "server/options/load_options.hpp"
#include "server/util/config_error.hpp"

using gantry::server::config_error;
using gantry::server::load_options;
using gantry::server::options;

namespace {

options parse(std::vector<const char*> args) {
    args.insert(args.begin(), "gantry");
    return load_options(static_cast<int>(args.size()), args.data());
}

std::string error_of(std::vector<const char*> args) {
    try {
        parse(std::move(args));
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("long, short, alias and --name=value forms all set options") {
    const options o =
        parse({"-w", "mysite.wsgi:app", "--socket", ":3031", "-s", "/tmp/g.sock", "--workers=4",
               "--pythonpath", "a", "--pythonpath=b", "--chdir", "/srv", "--buffer-size", "8192"});
    CHECK(o.module == "mysite.wsgi");
    CHECK(o.callable == "app");
    CHECK(o.sockets == std::vector<std::string>{":3031", "/tmp/g.sock"});
    CHECK(o.processes == 4);
    CHECK(o.pythonpath == std::vector<std::string>{"/srv/a", "/srv/b"});  // from --chdir
    CHECK(o.chdir == "/srv");
    CHECK(o.buffer_size == 8192);
}

TEST_CASE("defaults follow uWSGI's") {
    const options o = parse({"--module", "app", "--socket", ":1"});
    CHECK(o.callable == "application");
    CHECK(o.processes == 1);
    CHECK(o.buffer_size == 65535);
    CHECK(o.socket_timeout == 4);
}

TEST_CASE("--wsgi-file with --callable") {
    const options o = parse({"--wsgi-file", "x/app.py", "--callable", "app", "-s", ":1"});
    CHECK(o.wsgi_file == (std::filesystem::current_path() / "x/app.py").string());
    CHECK(o.callable == "app");
}

TEST_CASE("an unknown option names itself and the nearest valid one") {
    CHECK(error_of({"--proceses", "2"}) ==
          "unknown option '--proceses' (did you mean '--processes'?)");
    CHECK(error_of({"--zzzzzzzz"}) == "unknown option '--zzzzzzzz'");
}

TEST_CASE("a bad value names the option, what it wants and what it got") {
    CHECK(error_of({"--processes", "abc"}) ==
          "--processes: expected a whole number from 1 to 1024, got 'abc'");
    CHECK(error_of({"-p", "0"}) == "-p: expected a whole number from 1 to 1024, got '0'");
    CHECK(error_of({"--buffer-size", "2g"}) ==
          "--buffer-size: expected a size in bytes up to 1073741824 (e.g. 65536, 64k, 10m), got "
          "'2g'");
    CHECK(error_of({"--module", "app:"}) ==
          "--module: expected MODULE or MODULE:CALLABLE, got 'app:'");
    CHECK(error_of({"--socket"}) == "--socket: expected a value");
    CHECK(error_of({"--help=yes"}) == "--help: takes no value");
    CHECK(error_of({"stray"}) ==
          "unexpected argument 'stray' (options start with --; config files end in .ini, .yaml "
          "or .json)");
}

TEST_CASE("every mistake on a command line is listed in one run") {
    CHECK(error_of({"--proceses", "2", "--threads", "0", "--vaccum"}) ==
          "3 problems in the configuration:\n"
          "  unknown option '--proceses' (did you mean '--processes'?)\n"
          "  unknown option '--vaccum' (did you mean '--vacuum'?)\n"
          "  --threads: expected a whole number from 1 to 256, got '0'");
}

TEST_CASE("a buffer-size above the uwsgi protocol's 65535 is clamped, with a warning") {
    const auto o = parse({"--module", "app", "--socket", ":1", "--buffer-size", "70000"});
    CHECK(o.buffer_size == 65535);
    REQUIRE(o.config_warnings.size() == 1);
    CHECK(o.config_warnings[0].starts_with("buffer-size 70000: above"));
}

TEST_CASE("an incomplete configuration says what is missing") {
    CHECK(error_of({"--socket", ":1"}).starts_with("no application"));
    CHECK(error_of({"--module", "app"}).starts_with("no listener"));
}

TEST_CASE("module and wsgi-file together: the module is served, as in uWSGI, with a warning") {
    const options o = parse({"--module", "a", "--wsgi-file", "b.py", "-s", ":1"});
    CHECK(o.module == "a");
    CHECK(o.wsgi_file.empty());
    REQUIRE(o.config_warnings.size() == 1);
    CHECK(o.config_warnings[0].find("the module is served") != std::string::npos);
}

TEST_CASE("an app factory call takes literal arguments only") {
    CHECK(parse({"--module", "app:create_app('prod', debug=True)", "-s", ":1"}).callable ==
          "create_app('prod', debug=True)");
    CHECK(parse({"--module", "app", "--callable", "make()", "-s", ":1"}).callable == "make()");
    CHECK(error_of({"--module", "app:create_app(config)", "-s", ":1"})
              .starts_with("--module: expected a callable's NAME, or a factory call"));
}

TEST_CASE("--mount takes /PREFIX=APP; a trailing slash is dropped, / is the root") {
    const options o = parse({"--mount", "/api/=api.wsgi:app", "--mount", "/=site.py", "-s", ":1"});
    REQUIRE(o.mounts.size() == 2);
    CHECK(o.mounts[0].prefix == "/api");
    CHECK(o.mounts[0].app == "api.wsgi:app");
    CHECK(o.mounts[1].prefix.empty());
    CHECK(o.mounts[1].app == (std::filesystem::current_path() / "site.py").string());
    CHECK(error_of({"--mount", "api=x"}) ==
          "--mount: expected /PREFIX=MODULE[:CALLABLE] or /PREFIX=path/to/app.py, got 'api=x'");
    CHECK(error_of({"--mount", "/api="}).starts_with("--mount: expected"));
}

TEST_CASE("--threads and --limit-post") {
    const options o = parse({"-w", "a", "-s", ":1", "--threads", "8", "--limit-post", "1048576"});
    CHECK(o.threads == 8);
    CHECK(o.limit_post == 1048576);
    CHECK(error_of({"--threads", "0"}) ==
          "--threads: expected a whole number from 1 to 256, got '0'");
}

TEST_CASE("--help needs nothing else") {
    CHECK(parse({"--help"}).help);
    CHECK(parse({"-h"}).help);
}

TEST_CASE("listen addresses") {
    using gantry::server::listen_address;
    using gantry::server::parse_listen_address;
    const listen_address any = parse_listen_address(":3031");
    CHECK(any.type == listen_address::kind::tcp);
    CHECK(any.host.empty());
    CHECK(any.port == 3031);
    const listen_address local = parse_listen_address("127.0.0.1:80");
    CHECK(local.host == "127.0.0.1");
    CHECK(local.port == 80);
    CHECK(parse_listen_address("[::1]:8000").host == "::1");
    const listen_address unix_socket = parse_listen_address("/run/gantry/app.sock");
    CHECK(unix_socket.type == listen_address::kind::unix_path);
    CHECK(unix_socket.path == "/run/gantry/app.sock");
    CHECK_THROWS_WITH(parse_listen_address("3031"),
                      "--socket 3031: no port (want HOST:PORT, :PORT or /path.sock)");
    CHECK_THROWS_AS(parse_listen_address("host:0"), config_error);
    CHECK_THROWS_AS(parse_listen_address("host:65536"), config_error);
    CHECK_THROWS_AS(parse_listen_address("host:x"), config_error);
}
