#include "server/options/load_options.hpp"

#include <glob.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "server/net/listen_address.hpp"
#include "server/net/listen_fd_names.hpp"
#include "server/options/cli_parser.hpp"
#include "server/options/entry_values.hpp"

extern char** environ;

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

bool given(const std::vector<assignment>& list, const option_def* def) {
    return std::any_of(list.begin(), list.end(),
                       [def](const assignment& a) { return a.def == def; });
}

std::optional<config_kind> config_kind_of(const option_def& d) {
    if (d.name == "ini") {
        return config_kind::ini;
    }
    if (d.name == "yaml") {
        return config_kind::yaml;
    }
    if (d.name == "json") {
        return config_kind::json;
    }
    return std::nullopt;
}

void check_runnable(const options& o, char* const* environment, config_problems& problems) {
    if (o.cheaper >= o.processes && o.cheaper > 0) {
        problems.add(fmt::format(
            "--cheaper {} must be below --processes {} (the most workers it may grow to)",
            o.cheaper, o.processes));
    }
    if (o.cheaper_initial > o.processes) {
        problems.add(fmt::format("--cheaper-initial {} is above --processes {}", o.cheaper_initial,
                                 o.processes));
    }
    if (o.module.empty() && o.wsgi_file.empty() && o.mounts.empty()) {
        problems.add("no application: give --module MOD[:CALLABLE], --wsgi-file PATH or --mount");
    }
    const auto check_address = [&problems](const std::string& text, std::string_view option) {
        try {
            parse_listen_address(text, option);
        } catch (const std::exception& e) {
            problems.add(e.what());
        }
    };
    for (const std::string& s : o.sockets) {
        check_address(s, "--socket");
    }
    for (const std::string& s : o.http_sockets) {
        check_address(s, "--http-socket");
    }
    for (const auto& [text, option] : {std::pair{o.stats, "--stats"}, {o.metrics, "--metrics"}}) {
        if (!text.empty()) {
            check_address(text, option);
        }
    }
    // Sockets systemd passed named "uwsgi…"/"http…" need no option; when they come, the
    // listeners, once opened, say whether there is one (see run.cpp's open_listeners).
    if (o.sockets.empty() && o.http_sockets.empty() && !listeners_may_be_passed(environment)) {
        problems.add(
            "no listener: give --socket ADDR (HOST:PORT, :PORT or /path.sock) or --http-socket");
    }
}

// Relative paths mean what uWSGI means (and the command line always meant): chdir, pidfile,
// logto and config files from the directory gantry was started in; the rest (wsgi-file,
// pythonpath, virtualenv, touch files...) from --chdir, where the app is loaded. Made
// absolute now, so --print-config means the same wherever its output is read back. Paths
// from gantry-style files are already absolute (next to their file).
void absolute_paths(std::vector<assignment>& all) {
    const fs::path cwd = fs::current_path();
    const auto from = [](const fs::path& base, std::string& p) {
        if (!p.empty() && p.front() != '/') {
            p = (base / p).lexically_normal().string();
        }
    };
    fs::path app_dir = cwd;
    for (assignment& a : all) {
        if (a.def->name == "chdir") {
            from(cwd, a.value);
            app_dir = a.value;  // the last one is the one that counts
        }
    }
    for (assignment& a : all) {
        if (a.def->type == value_type::path) {
            from(a.def->from_start_dir ? cwd : app_dir, a.value);
        } else if (a.def->name == "static-map" || a.def->name == "static-map2") {
            // "/URL=DIR": the DIR is a path from --chdir, as uWSGI opens it after the chdir.
            if (const auto eq = a.value.find('='); eq != std::string::npos) {
                std::string dir = a.value.substr(eq + 1);
                from(app_dir, dir);
                a.value = a.value.substr(0, eq + 1) + dir;
            }
        }
    }
}

// uWSGI's pythonpath takes a glob ("/srv/eggs/*.egg"): each match, in order; a pattern
// that matches nothing stays as written.
void expand_globs(std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const std::string& p : paths) {
        glob_t g{};
        if (p.find_first_of("*?[") != std::string::npos && glob(p.c_str(), 0, nullptr, &g) == 0) {
            out.insert(out.end(), g.gl_pathv, g.gl_pathv + g.gl_pathc);
        } else {
            out.push_back(p);
        }
        globfree(&g);
    }
    paths = std::move(out);
}

// What the options mean together, once all are stored.
void settle(options& o) {
    if (!o.module.empty() && !o.wsgi_file.empty()) {  // uWSGI loads the module, skips the file
        o.config_warnings.push_back(fmt::format(
            "module {} and wsgi-file {}: the module is served and the file is not loaded, as "
            "in uWSGI; give one of them",
            o.module, o.wsgi_file));
        o.wsgi_file.clear();
    }
    if (o.socket_speaks_http) {  // protocol = http
        o.http_sockets.insert(o.http_sockets.end(), o.sockets.begin(), o.sockets.end());
        o.sockets.clear();
        o.socket_speaks_http = false;
    }
    expand_globs(o.pythonpath);
    const fs::path app_dir = o.chdir.empty() ? fs::current_path() : fs::path(o.chdir);
    for (options::mount& m : o.mounts) {
        if (m.app.ends_with(".py") && m.app.front() != '/') {
            m.app = (app_dir / m.app).lexically_normal().string();
        }
    }
}

}  // namespace

options load_options(int argc, const char* const* argv) {
    return load_options(argc, argv, environ);
}

options load_options(int argc, const char* const* argv, char** environment) {
    config_problems problems;
    const std::vector<assignment> cli = parse_command_line(argc, argv, problems);
    {
        options first;  // --help and --version need nothing else
        config_problems ignored;
        store_all(first, cli, ignored);
        if (first.help || first.version) {
            return first;
        }
    }
    config_reader reader(problems);
    reader.read_environment(environment);
    for (const assignment& a : cli) {
        if (a.def->name == "set-placeholder") {
            reader.add_placeholder(a.value, a.origin);
        }
    }
    for (const assignment& a : cli) {
        if (const auto kind = config_kind_of(*a.def)) {
            reader.read_file(a.value, *kind, a.origin);
        }
    }
    const std::vector<config_entry> entries = reader.finish();
    std::vector<assignment> all = assignments_of(entries, reader.referenced(), problems);
    // The command line wins: an option given there replaces what files and the environment
    // said, and a repeatable one replaces their whole list.
    std::erase_if(all, [&cli](const assignment& a) { return given(cli, a.def); });
    all.insert(all.end(), cli.begin(), cli.end());
    absolute_paths(all);
    options o;
    store_all(o, all, problems);
    settle(o);
    o.config_warnings.insert(o.config_warnings.end(), problems.warnings().begin(),
                             problems.warnings().end());
    // What is missing is worth saying only when nothing said was refused: "no application"
    // after a refused --module line would be noise.
    if ((!o.print_config || o.check_config) && problems.empty()) {
        check_runnable(o, environment, problems);
    }
    problems.throw_if_any();
    return o;
}

std::vector<assignment> load_config_text(const std::string& text, const std::string& path,
                                         config_kind kind) {
    config_problems problems;
    config_reader reader(problems);
    reader.read_text(text, path, kind);
    const std::vector<config_entry> entries = reader.finish();
    std::vector<assignment> out = assignments_of(entries, reader.referenced(), problems);
    problems.throw_if_any();
    return out;
}

}  // namespace gantry::server
