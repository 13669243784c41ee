#include "server/run.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "embed/interpreter.hpp"
#include "embed/wsgi_app.hpp"
#include "server/log/log.hpp"
#include "server/master/master.hpp"
#include "server/net/listener.hpp"
#include "server/options/config_error.hpp"
#include "server/worker/worker.hpp"

namespace gantry::server {
namespace {

constexpr int listen_backlog = 1024;

void change_directory(const std::string& dir) {
    if (!dir.empty() && chdir(dir.c_str()) != 0) {
        throw config_error(fmt::format("--chdir {}: {}", dir, std::strerror(errno)));
    }
}

std::vector<listener> bind_all(const options& o) {
    std::vector<listener> out;
    out.reserve(o.sockets.size() + o.http_sockets.size());
    for (const std::string& s : o.sockets) {
        out.emplace_back(parse_listen_address(s), listener::protocol::uwsgi, listen_backlog,
                         o.socket_timeout);
    }
    for (const std::string& s : o.http_sockets) {
        out.emplace_back(parse_listen_address(s), listener::protocol::http, listen_backlog,
                         o.socket_timeout);
    }
    return out;
}

embed::interpreter_config python_config(const options& o) {
    embed::interpreter_config c;
    for (const std::string& p : o.pythonpath) {
        c.python_path.push_back(std::filesystem::absolute(p).string());
    }
    // Like `python -m`: modules next to where the app runs are importable.
    c.python_path.push_back(std::filesystem::current_path().string());
    return c;
}

embed::app_spec spec_of(std::string_view app) {
    if (app.ends_with(".py")) {
        return {.module = {},
                .wsgi_file = std::filesystem::absolute(app).string(),
                .callable = "application"};
    }
    const auto colon = app.find(':');
    return {.module = std::string(app.substr(0, colon)),
            .wsgi_file = {},
            .callable = colon == std::string_view::npos ? "application"
                                                        : std::string(app.substr(colon + 1))};
}

// --module / --wsgi-file is the app at the root; each --mount adds one under its prefix.
std::vector<embed::app_mount> mounts_of(const options& o) {
    std::vector<embed::app_mount> mounts;
    if (!o.module.empty() || !o.wsgi_file.empty()) {
        mounts.push_back(
            {"", {.module = o.module, .wsgi_file = o.wsgi_file, .callable = o.callable}});
    }
    for (const options::mount& m : o.mounts) {
        mounts.push_back({m.prefix, spec_of(m.app)});
    }
    return mounts;
}

std::string joined_names(const std::vector<listener>& listeners) {
    std::string names;
    for (const listener& l : listeners) {
        names += (names.empty() ? "" : ", ") + l.name();
    }
    return names;
}

}  // namespace

int run(const options& o) {
    // Validate every address before binding any, so a typo never leaves a half-bound server.
    for (const auto* list : {&o.sockets, &o.http_sockets}) {
        for (const std::string& s : *list) {
            parse_listen_address(s);
        }
    }
    change_directory(o.chdir);
    const std::vector<listener> listeners = bind_all(o);
    embed::interpreter python(python_config(o));
    embed::wsgi_app app(mounts_of(o),
                        {.multithread = o.threads > 1, .multiprocess = o.processes > 1});
    // Preloaded: keep what the import allocated out of the GC's way, so workers share it.
    python.freeze_gc();
    if (const int threads = python.running_threads(); threads > 1) {
        log::warning(
            "the app started {} thread(s) while it was imported in the master; threads do not "
            "survive the fork into the workers: start them in the worker (e.g. on the first "
            "request)",
            threads - 1);
    }

    const worker_settings worker{.threads = o.threads,
                                 .buffer_size = o.buffer_size,
                                 .socket_timeout = o.socket_timeout,
                                 .limit_post = o.limit_post,
                                 .http_keepalive_timeout = o.http_keepalive_timeout};
    master m({.processes = o.processes, .listening_on = joined_names(listeners)}, python,
             [&](int id) -> int {
                 worker_settings mine = worker;
                 mine.id = id;
                 run_worker(mine, listeners, app);
             });
    return m.run();
}

}  // namespace gantry::server
