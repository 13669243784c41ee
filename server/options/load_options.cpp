#include "server/options/load_options.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <filesystem>

#include "server/options/cli_parser.hpp"
#include "server/options/ini_loader.hpp"
#include "server/options/yaml_loader.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

bool given(const std::vector<assignment>& list, const option_def* def) {
    return std::any_of(list.begin(), list.end(),
                       [def](const assignment& a) { return a.def == def; });
}

void check_runnable(const options& o) {
    if (o.cheaper >= o.processes && o.cheaper > 0) {
        throw config_error(fmt::format(
            "--cheaper {} must be below --processes {} (the most workers it may grow to)",
            o.cheaper, o.processes));
    }
    if (o.cheaper_initial > o.processes) {
        throw config_error(fmt::format("--cheaper-initial {} is above --processes {}",
                                       o.cheaper_initial, o.processes));
    }
    if (o.module.empty() && o.wsgi_file.empty() && o.mounts.empty()) {
        throw config_error(
            "no application: give --module MOD[:CALLABLE], --wsgi-file PATH or --mount");
    }
    if (!o.module.empty() && !o.wsgi_file.empty()) {
        throw config_error("--module and --wsgi-file: give one of them, not both");
    }
    if (o.sockets.empty() && o.http_sockets.empty()) {
        throw config_error(
            "no listener: give --socket ADDR (HOST:PORT, :PORT or /path.sock) or --http-socket");
    }
}

}  // namespace

// Relative paths mean: --chdir, --pidfile and --logto from the directory gantry was started
// in; --wsgi-file, --pythonpath and .py mounts from --chdir (as in uWSGI, which changes
// directory before loading the app). Made absolute now, so --print-config means the same
// wherever its output is read back. (Paths from files are already absolute.)
void absolute_paths(options& o) {
    namespace fs = std::filesystem;
    const auto from = [](const fs::path& base, std::string& p) {
        if (!p.empty() && p.front() != '/') {
            p = (base / p).lexically_normal().string();
        }
    };
    const fs::path cwd = fs::current_path();
    from(cwd, o.chdir);
    from(cwd, o.pidfile);
    from(cwd, o.logto);
    const fs::path app_dir = o.chdir.empty() ? cwd : fs::path(o.chdir);
    from(app_dir, o.wsgi_file);
    for (std::string& p : o.pythonpath) {
        from(app_dir, p);
    }
    for (options::mount& m : o.mounts) {
        if (m.app.ends_with(".py")) {
            from(app_dir, m.app);
        }
    }
}

options load_options(int argc, const char* const* argv) {
    const std::vector<assignment> cli = parse_command_line(argc, argv);
    options o;
    store_all(o, cli);  // first pass: learn --yaml (and --help) before reading the file
    if (o.help || o.version) {
        return o;
    }
    if (!o.yaml.empty() || !o.ini.empty()) {
        std::vector<assignment> file;
        if (!o.ini.empty()) {
            file = load_ini(o.ini);
        }
        if (!o.yaml.empty()) {
            std::vector<assignment> more = load_yaml(o.yaml);
            file.insert(file.end(), more.begin(), more.end());
        }
        // The command line wins: a repeatable option given there replaces the file's list.
        std::erase_if(file, [&cli](const assignment& a) { return given(cli, a.def); });
        o = options{};
        store_all(o, file);
        store_all(o, cli);
    }
    absolute_paths(o);
    if (!o.print_config || o.check_config) {
        check_runnable(o);
    }
    return o;
}

}  // namespace gantry::server
