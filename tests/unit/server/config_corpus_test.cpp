// The configuration corpus: every *.yaml and *.ini in config_corpus/ is loaded as
// `gantry --yaml FILE` / `gantry --ini FILE` would load it, and compared with the *.expect
// file of the same name beside it. That file holds either the exact error message, or, for
// a good file, the exact `--print-config` YAML (it then starts with "gantry:"). In it,
// {path} stands for the config file's path and {dir} for its folder.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "server/options/load_options.hpp"
#include "server/options/option_table.hpp"
#include "server/util/config_error.hpp"

using gantry::server::config_error;
using gantry::server::config_yaml;
using gantry::server::load_options;

namespace fs = std::filesystem;

namespace {

const fs::path corpus_dir = GANTRY_CONFIG_CORPUS_DIR;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

// The config files of the corpus, in name order.
std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(corpus_dir)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".yaml" || ext == ".ini") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// What gantry makes of the file: "gantry:..." (the --print-config YAML) when it loads, or
// the config_error's message.
std::string outcome(const fs::path& file) {
    const std::string path = file.string();
    const char* flag = file.extension() == ".ini" ? "--ini" : "--yaml";
    const std::vector<const char*> argv{"gantry", flag, path.c_str()};
    try {
        return config_yaml(load_options(static_cast<int>(argv.size()), argv.data()));
    } catch (const config_error& e) {
        return e.what();
    }
}

std::string expected(const fs::path& file) {
    fs::path expect = file;
    expect.replace_extension(".expect");
    std::string text = read_file(expect);
    // An error message is one line (or a few) with the file's final newline; a YAML
    // configuration ends with its newline, as --print-config writes it.
    if (!text.starts_with("gantry:") && text.ends_with("\n")) {
        text.pop_back();
    }
    text = replace_all(text, "{path}", file.string());
    return replace_all(text, "{dir}", file.parent_path().string());
}

// The environment the $(VAR) cases expect.
void set_corpus_environment() {
    setenv("GANTRY_CORPUS_PROJECT", "mysite", 1);
    setenv("GANTRY_CORPUS_PORT", "4040", 1);
    setenv("GANTRY_CORPUS_PROCESSES", "3", 1);
    unsetenv("GANTRY_CORPUS_UNSET");
}

}  // namespace

TEST_CASE("every config file in the corpus gives exactly the expected result", "[config]") {
    set_corpus_environment();
    const std::vector<fs::path> files = corpus_files();
    REQUIRE(files.size() >= 20);
    for (const fs::path& file : files) {
        INFO("corpus file: " << file.filename().string());
        fs::path expect = file;
        expect.replace_extension(".expect");
        REQUIRE(fs::exists(expect));
        CHECK(outcome(file) == expected(file));
    }
}

TEST_CASE("every .expect file in the corpus belongs to one config file", "[config]") {
    std::set<std::string> stems;
    for (const fs::path& file : corpus_files()) {
        INFO("corpus file: " << file.filename().string());
        CHECK(stems.insert(file.stem().string()).second);  // a.yaml and a.ini would share a.expect
    }
    for (const auto& entry : fs::directory_iterator(corpus_dir)) {
        if (entry.path().extension() == ".expect") {
            INFO("expect file: " << entry.path().filename().string());
            CHECK(stems.contains(entry.path().stem().string()));
        }
    }
}

TEST_CASE("the corpus has good and bad files of both kinds", "[config]") {
    int good_yaml = 0;
    int bad_yaml = 0;
    int good_ini = 0;
    int bad_ini = 0;
    for (const fs::path& file : corpus_files()) {
        fs::path expect = file;
        expect.replace_extension(".expect");
        const bool good = read_file(expect).starts_with("gantry:");
        const bool ini = file.extension() == ".ini";
        (ini ? (good ? good_ini : bad_ini) : (good ? good_yaml : bad_yaml))++;
    }
    CHECK(good_yaml >= 5);
    CHECK(bad_yaml >= 10);
    CHECK(good_ini >= 3);
    CHECK(bad_ini >= 8);
}
