#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/util/config_error.hpp"

using gantry::server::config_error;
using gantry::server::load_options;
using gantry::server::options;

namespace {

const std::string data_dir = GANTRY_TEST_DATA_DIR;

options parse(std::vector<const char*> args) {
    args.insert(args.begin(), "gantry");
    return load_options(static_cast<int>(args.size()), args.data());
}

std::string error_of(const std::string& yaml_name) {
    const std::string path = data_dir + "/" + yaml_name;
    try {
        parse({"--yaml", path.c_str()});
    } catch (const config_error& e) {
        // Messages start with the file's path; compare what follows it.
        std::string message = e.what();
        return message.starts_with(path) ? message.substr(path.size()) : message;
    }
    return "no error";
}

}  // namespace

TEST_CASE("a YAML file sets the same options as the flags") {
    const std::string path = data_dir + "/good.yaml";
    const options o = parse({"--yaml", path.c_str()});
    CHECK(o.module == "app");
    CHECK(o.callable == "application");
    CHECK(o.processes == 3);
    CHECK(o.sockets == std::vector<std::string>{"127.0.0.1:3031", "/tmp/gantry-test.sock"});
    // Relative paths mean "next to the file".
    CHECK(o.chdir == data_dir + "/site");
    CHECK(o.pythonpath == std::vector<std::string>{data_dir + "/lib", "/opt/lib"});
    CHECK(o.config_files == std::vector<std::string>{path});
}

TEST_CASE("the command line wins over the file, lists included") {
    const std::string path = data_dir + "/good.yaml";
    const options o = parse({"--yaml", path.c_str(), "--processes", "5", "--socket", ":9"});
    CHECK(o.processes == 5);
    CHECK(o.sockets == std::vector<std::string>{":9"});
    CHECK(o.module == "app");
}

TEST_CASE("uWSGI's top-level key is accepted") {
    const std::string path = data_dir + "/uwsgi_key.yaml";
    CHECK(parse({"--yaml", path.c_str()}).module == "mysite.wsgi");
}

TEST_CASE("YAML mistakes name the file, line, column and key") {
    CHECK(error_of("unknown_key.yaml") ==
          ":4:3: unknown option 'proceses' (did you mean 'processes'?)");
    CHECK(error_of("bad_value.yaml") ==
          ":3:3: processes: expected a whole number from 1 to 1024, got 'many'");
    CHECK(error_of("list_for_scalar.yaml") == ":3:12: module: expected a single value, not a list");
    CHECK(error_of("no_top_key.yaml") == ": no top-level 'uwsgi:' (or 'gantry:') mapping");
    CHECK(error_of("syntax_error.yaml") == ":4:1: end of sequence flow not found");
    CHECK(error_of("missing.yaml") == "--yaml: " + data_dir + "/missing.yaml: no such file");
}
