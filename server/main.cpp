// gantry: argv → options → master. Setup failures are one line on stderr and an exit code
// that tells them apart (as gunicorn does): 2 configuration, 4 application import, 1 other.
#include <signal.h>

#include <fmt/format.h>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "embed/app_load_error.hpp"
#include "server/log/log.hpp"
#include "server/log/request_log.hpp"
#include "server/options/load_options.hpp"
#include "server/options/option_table.hpp"
#include "server/process/exit_codes.hpp"
#include "server/process/proc_title.hpp"
#include "server/process/virtualenv.hpp"
#include "server/run.hpp"
#include "server/static/static_files.hpp"
#include "server/util/config_error.hpp"

int main(int argc, char** argv) {
    // Before anything reads the environment: titles are later written over argv and environ.
    // argv is read below (options, the copy a reload re-executes) before any title is set.
    gantry::server::adopt_title_area(argc, argv);
    // Python is embedded without its signal handlers, so nothing else ignores SIGPIPE:
    // a write to a vanished client must be an error code, not a dead worker.
    signal(SIGPIPE, SIG_IGN);
    using namespace gantry;
    // Not an option: what docs/options.md is generated from (a test compares the two).
    if (argc == 2 && std::string_view(argv[1]) == "--options-markdown") {
        fmt::print("{}", server::options_markdown());
        return 0;
    }
    if (argc == 2 &&
        std::string_view(argv[1]) == "--uwsgi-markdown") {  // docs/coming-from-uwsgi.md
        fmt::print("{}", server::uwsgi_guide_markdown());
        return 0;
    }
    if (argc == 2 && std::string_view(argv[1]) == "--man-page") {  // gantry(1), packaged
        fmt::print("{}", server::man_page());
        return 0;
    }
    try {
        const server::options o = server::load_options(argc, argv);
        if (o.help) {
            fmt::print("{}", server::usage_text());
            return 0;
        }
        if (o.version) {
            fmt::print("gantry {}\n", GANTRY_VERSION);
            return 0;
        }
        if (o.print_config) {
            fmt::print("{}", server::config_yaml(o));
            return 0;
        }
        if (o.check_config) {
            for (const std::string& n : o.config_notices) {
                fmt::print(stderr, "gantry: note: {}\n", n);
            }
            for (const std::string& w : o.config_warnings) {
                fmt::print(stderr, "gantry: warning: {}\n", w);
            }
            const auto venv = server::virtualenv_dir(o.virtualenv, o.chdir);
            if (const std::string note = server::check_virtualenv(venv); !note.empty()) {
                fmt::print(stderr, "gantry: warning: {}\n", note);
            }
            if (!o.static_maps.empty() || !o.check_static.empty()) {
                // Opens each mapped folder as the start will (it throws naming the option).
                const server::static_files folders(server::static_settings_of(o));
            }
            fmt::print(stderr, "gantry: the configuration is good\n");
            return 0;
        }
        server::log::configure({.json = o.log_json,
                                .requests = !o.disable_logging,
                                .lowest = o.log_level,
                                .date_format = o.log_date});
        server::configure_request_log({.status_4xx = o.log_4xx,
                                       .status_5xx = o.log_5xx,
                                       .slow_ms = o.log_slow,
                                       .x_forwarded_for = o.log_x_forwarded_for,
                                       .format = o.log_format,
                                       .ftime_format = o.log_format_strftime ? o.log_date : ""});
        for (const std::string& n : o.config_notices) {
            server::log::info("{}", n);
        }
        for (const std::string& w : o.config_warnings) {
            server::log::warning("{}", w);
        }
        return server::run(o, std::vector<std::string>(argv, argv + argc));
    } catch (const server::config_error& e) {
        fmt::print(stderr, "gantry: {}\n", e.what());
        return server::exit_code::config;
    } catch (const embed::app_load_error& e) {
        fmt::print(stderr, "gantry: {}\n", e.what());
        return server::exit_code::app_load;
    } catch (const std::exception& e) {
        fmt::print(stderr, "gantry: {}\n", e.what());
        return server::exit_code::failure;
    }
}
