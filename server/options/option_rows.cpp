// The rows of the option table. Most are made by a few factories (text, list, number, size,
// duration, flag) that know how to store and show their kind of value; the rest say so.
#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "server/cron/schedule.hpp"
#include "server/options/option_rows.hpp"
#include "server/options/option_values.hpp"

namespace gantry::server {
namespace {

using shown = std::vector<std::string>;
constexpr long long no_limit = std::numeric_limits<long long>::max();
const options defaults{};

std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    }
    return out + "\"";
}

void non_empty(std::string_view value) {
    if (value.empty()) {
        throw std::invalid_argument("expected a value");
    }
}

option_def text(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, std::string options::*f, value_type type = value_type::text) {
    return {name,
            aliases,
            section,
            type,
            false,
            "",
            doc,
            [f](options& o, std::string_view v) {
                non_empty(v);
                o.*f = v;
            },
            [f](const options& o) { return (o.*f).empty() ? shown{} : shown{quoted(o.*f)}; }};
}

option_def list(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, std::vector<std::string> options::*f,
                value_type type = value_type::text) {
    return {name,
            aliases,
            section,
            type,
            true,
            "",
            doc,
            [f](options& o, std::string_view v) {
                non_empty(v);
                (o.*f).emplace_back(v);
            },
            [f](const options& o) {
                shown out;
                for (const std::string& v : o.*f) {
                    out.push_back(quoted(v));
                }
                return out;
            }};
}

template <typename T>
option_def number(std::string_view name, std::string_view aliases, std::string_view section,
                  std::string_view default_text, std::string_view doc, T options::*f, long long min,
                  long long max) {
    return {name,
            aliases,
            section,
            value_type::number,
            false,
            default_text,
            doc,
            [f, min, max](options& o, std::string_view v) {
                o.*f = static_cast<T>(parse_number(v, min, max));
            },
            [f](const options& o) {
                return o.*f == defaults.*f ? shown{} : shown{fmt::format("{}", o.*f)};
            }};
}

template <typename T>
option_def size(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view default_text, std::string_view doc, T options::*f,
                std::uint64_t max) {
    return {name,
            aliases,
            section,
            value_type::size,
            false,
            default_text,
            doc,
            [f, max](options& o, std::string_view v) { o.*f = static_cast<T>(parse_size(v, max)); },
            [f](const options& o) {
                return o.*f == defaults.*f ? shown{} : shown{fmt::format("{}", o.*f)};
            }};
}

option_def duration(std::string_view name, std::string_view section, std::string_view default_text,
                    std::string_view doc, int options::*f, long long max) {
    return {name,
            "",
            section,
            value_type::duration,
            false,
            default_text,
            doc,
            [f, max](options& o, std::string_view v) {
                o.*f = static_cast<int>(parse_duration(v, max));
            },
            [f](const options& o) {
                return o.*f == defaults.*f ? shown{} : shown{fmt::format("{}s", o.*f)};
            }};
}

option_def flag(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, bool options::*f) {
    return {name,
            aliases,
            section,
            value_type::flag,
            false,
            "off",
            doc,
            [f](options& o, std::string_view) { o.*f = true; },
            [f](const options& o) { return o.*f ? shown{"true"} : shown{}; }};
}

// uWSGI options whose behaviour gantry always has: accepted, and nothing to do.
option_def always_on(std::string_view name) {
    return {name,
            "",
            "uWSGI compatibility",
            value_type::flag,
            false,
            "on",
            "accepted for uWSGI compatibility: gantry always behaves so",
            [](options&, std::string_view) {},
            [](const options&) { return shown{}; }};
}

// "pkg.mod:callable" sets both; "pkg.mod" leaves the callable to --callable.
void store_module(options& o, std::string_view value) {
    non_empty(value);
    const auto colon = value.find(':');
    o.module = std::string(value.substr(0, colon));
    if (colon != std::string_view::npos) {
        o.callable = std::string(value.substr(colon + 1));
        if (o.module.empty() || o.callable.empty()) {
            throw std::invalid_argument("expected MODULE or MODULE:CALLABLE");
        }
    }
}

// "/prefix=APP": the prefix loses a trailing slash, so "/" is the root ("").
void store_mount(options& o, std::string_view value) {
    const auto eq = value.find('=');
    if (eq == std::string_view::npos || value.empty() || value.front() != '/' ||
        eq + 1 == value.size()) {
        throw std::invalid_argument("expected /PREFIX=MODULE[:CALLABLE] or /PREFIX=path/to/app.py");
    }
    std::string_view prefix = value.substr(0, eq);
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.remove_suffix(1);
    }
    o.mounts.push_back({std::string(prefix), std::string(value.substr(eq + 1))});
}

// --cron "SPEC COMMAND": checked now, so that a bad schedule stops gantry at start-up.
void store_cron(options& o, std::string_view line) {
    auto [schedule, command] = parse_cron_line(line);
    o.crons.push_back(
        {.schedule = schedule.describe(), .command = command, .call = {}, .timeout = 0});
}

// YAML: {schedule: SPEC, command: CMD} or {schedule: SPEC, call: pkg.mod:function}, with an
// optional timeout.
void store_cron_fields(options& o, const field_list& fields) {
    options::cron_entry entry;
    for (const auto& [key, value] : fields) {
        if (key == "schedule") {
            entry.schedule = cron_schedule::parse(value).describe();
        } else if (key == "command") {
            entry.command = value;
        } else if (key == "call") {
            entry.call = value;
        } else if (key == "timeout") {
            entry.timeout = static_cast<int>(parse_duration(value, 86400));
        } else {
            throw std::invalid_argument(fmt::format(
                "unknown cron key '{}' (want schedule, command or call, timeout)", key));
        }
    }
    if (entry.schedule.empty() || entry.command.empty() == entry.call.empty()) {
        throw std::invalid_argument("a cron entry needs a schedule and one of command or call");
    }
    o.crons.push_back(entry);
}

shown show_crons(const options& o) {
    shown out;
    for (const auto& e : o.crons) {
        out.push_back(fmt::format("{{schedule: {}, {}: {}, timeout: {}s}}", quoted(e.schedule),
                                  e.call.empty() ? "command" : "call",
                                  quoted(e.call.empty() ? e.command : e.call), e.timeout));
    }
    return out;
}

}  // namespace

std::vector<option_def> make_option_rows() {
    using o = options;
    const char* app = "Application";
    const char* net = "Sockets";
    const char* pool = "Workers";
    const char* ops = "Operations";
    const char* meta = "Configuration";
    std::vector<option_def> rows = {
        {"module", "w", app, value_type::text, false, "",
         "WSGI app to import, as MODULE[:CALLABLE] (callable default: application)", store_module,
         [](const o& x) {
             return x.module.empty() ? shown{} : shown{quoted(x.module + ":" + x.callable)};
         }},
        text("wsgi-file", "file", app, "load the WSGI app from a Python file", &o::wsgi_file,
             value_type::path),
        {"callable", "", app, value_type::text, false, "application", "name of the WSGI callable",
         [](o& x, std::string_view v) {
             non_empty(v);
             x.callable = v;
         },
         [](const o& x) {
             return x.callable == "application" || !x.module.empty() ? shown{}
                                                                     : shown{quoted(x.callable)};
         }},
        text("chdir", "", app, "change to this directory before loading the app", &o::chdir,
             value_type::path),
        list("pythonpath", "pp", app, "add a directory to sys.path", &o::pythonpath,
             value_type::path),
        {"env", "", app, value_type::text, true, "", "set an environment variable: NAME=VALUE",
         [](o& x, std::string_view v) {
             if (v.find('=') == std::string_view::npos || v.front() == '=') {
                 throw std::invalid_argument("expected NAME=VALUE");
             }
             x.envs.emplace_back(v);
         },
         [](const o& x) {
             shown out;
             for (const std::string& e : x.envs) {
                 out.push_back(quoted(e));
             }
             return out;
         }},
        {"mount", "", app, value_type::text, true, "",
         "another app under a URL prefix: /PREFIX=MODULE[:CALLABLE] or /PREFIX=app.py", store_mount,
         [](const o& x) {
             shown out;
             for (const auto& m : x.mounts) {
                 out.push_back(quoted((m.prefix.empty() ? "/" : m.prefix) + "=" + m.app));
             }
             return out;
         }},
        flag("lazy-apps", "", app, "import the app in each worker instead of once in the master",
             &o::lazy_apps),
        list("socket", "s uwsgi-socket", net,
             "uwsgi-protocol listener: HOST:PORT, :PORT or /path.sock", &o::sockets),
        list("http-socket", "", net, "HTTP/1.1 listener for clients and load balancers: HOST:PORT",
             &o::http_sockets),
        duration("http-keepalive-timeout", net, "5s",
                 "how long an idle keep-alive connection stays open", &o::http_keepalive_timeout,
                 3600),
        {"chmod-socket", "", net, value_type::text, false, "660", "mode of unix sockets",
         [](o& x, std::string_view v) { x.chmod_socket = parse_mode(v); },
         [](const o& x) {
             return x.chmod_socket == 0660 ? shown{}
                                           : shown{quoted(fmt::format("{:o}", x.chmod_socket))};
         }},
        number("listen", "l", net, "1024", "listen queue size (clamped to net.core.somaxconn)",
               &o::listen, 1, 65535),
        size("buffer-size", "b", net, "65535", "largest uwsgi vars block accepted", &o::buffer_size,
             65535),
        size("limit-post", "", net, "off", "largest request body accepted; larger ones get 413",
             &o::limit_post, std::uint64_t{1} << 50),
        duration("socket-timeout", net, "4s", "how long a read or write on a connection may wait",
                 &o::socket_timeout, 86400),
        number("processes", "p workers", pool, "1", "worker processes (--cheaper's maximum)",
               &o::processes, 1, 1024),
        number("threads", "", pool, "1", "request threads in each worker", &o::threads, 1, 256),
        flag("cheap", "", pool, "start no worker until a connection is pending", &o::cheap),
        duration("idle", pool, "off", "without a request for this long, go back to cheap", &o::idle,
                 86400),
        number("cheaper", "", pool, "off", "adaptive pool: the fewest workers", &o::cheaper, 0,
               1024),
        number("cheaper-initial", "", pool, "--cheaper", "workers at start with --cheaper",
               &o::cheaper_initial, 1, 1024),
        number("cheaper-step", "", pool, "1", "workers added at a time when all are busy",
               &o::cheaper_step, 1, 1024),
        duration("cheaper-overload", pool, "3s",
                 "all busy this long grows the pool; idle, shrinks it", &o::cheaper_overload, 3600),
        duration("harakiri", pool, "off", "kill a worker whose request runs longer", &o::harakiri,
                 86400),
        number("max-requests", "", pool, "off", "recycle a worker after this many requests",
               &o::max_requests, 0, no_limit),
        number("max-requests-delta", "", pool, "0", "up to this many more, per worker",
               &o::max_requests_delta, 0, no_limit),
        number("reload-on-rss", "", pool, "off", "recycle a worker using more memory (MB)",
               &o::reload_on_rss, 0, no_limit),
        duration("max-worker-lifetime", pool, "off", "recycle a worker after this long",
                 &o::max_worker_lifetime, 31536000),
        duration("graceful-timeout", pool, "30s", "how long stopping workers may finish requests",
                 &o::graceful_timeout, 86400),
        {"cron", "", pool, value_type::text, true, "",
         "run a command on a schedule: \"SPEC COMMAND\" (crontab, @every 10s, @daily...)",
         store_cron, show_crons, store_cron_fields},
        text("pidfile", "", ops, "write the master's pid to this file", &o::pidfile,
             value_type::path),
        text("uid", "", ops, "run as this user (name or id) after binding", &o::uid),
        text("gid", "", ops, "run as this group (name or id) after binding", &o::gid),
        text("logto", "", ops, "log (and the app's output) to this file; SIGUSR1 reopens it",
             &o::logto, value_type::path),
        {"log-format", "", ops, value_type::text, false, "uwsgi", "uwsgi (text lines) or json",
         [](o& x, std::string_view v) {
             if (v != "uwsgi" && v != "json" && v != "text") {
                 throw std::invalid_argument("expected uwsgi or json");
             }
             x.log_json = v == "json";
         },
         [](const o& x) { return x.log_json ? shown{"json"} : shown{}; }},
        flag("disable-logging", "", ops, "no log line per request", &o::disable_logging),
        {"yaml", "y", meta, value_type::path, false, "",
         "read options from a YAML file (key: gantry)",
         [](o& x, std::string_view v) {
             non_empty(v);
             x.yaml = v;
         },
         [](const o&) { return shown{}; }},
        {"ini", "", meta, value_type::path, false, "",
         "read options from a uWSGI INI file ([uwsgi])",
         [](o& x, std::string_view v) {
             non_empty(v);
             x.ini = v;
         },
         [](const o&) { return shown{}; }},
        flag("check-config", "", meta, "check the configuration and exit (0 when it is good)",
             &o::check_config),
        flag("print-config", "", meta, "print the effective configuration as YAML and exit",
             &o::print_config),
        flag("help", "h", meta, "show this help and exit", &o::help),
        flag("version", "", meta, "print the version and exit", &o::version),
    };
    // What the configuration is, not what it asks for: never printed back.
    for (option_def& d : rows) {
        if (d.section == meta) {
            d.show = [](const o&) { return shown{}; };
        }
    }
    for (const char* name : {"plugin", "plugins"}) {
        // uWSGI loads its Python support as a plugin; gantry is nothing but that.
        rows.push_back({name, "", "uWSGI compatibility", value_type::text, true, "",
                        "accepted for uWSGI compatibility when it names python",
                        [](o&, std::string_view v) {
                            if (v.find("python") == std::string_view::npos) {
                                throw std::invalid_argument("gantry only runs Python apps");
                            }
                        },
                        [](const o&) { return shown{}; }});
    }
    for (const char* name : {"master", "enable-threads", "vacuum", "die-on-term", "need-app",
                             "thunder-lock", "single-interpreter", "strict"}) {
        rows.push_back(always_on(name));
    }
    return rows;
}

}  // namespace gantry::server
