#include "server/options/option_table.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <vector>

#include "server/cron/schedule.hpp"
#include "server/options/config_error.hpp"

namespace gantry::server {
namespace {

long long parse_number(std::string_view value, long long min, long long max) {
    long long n = 0;
    const char* last = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), last, n);
    if (value.empty() || ec != std::errc{} || ptr != last || n < min || n > max) {
        throw std::invalid_argument(fmt::format("expected a whole number from {} to {}", min, max));
    }
    return n;
}

void non_empty(std::string_view value) {
    if (value.empty()) {
        throw std::invalid_argument("expected a value");
    }
}

// Setters for the common shapes: a non-empty string, and one more item of a list.
auto text(std::string options::*field) {
    return [field](options& o, std::string_view v) {
        non_empty(v);
        o.*field = v;
    };
}

auto append(std::vector<std::string> options::*field) {
    return [field](options& o, std::string_view v) {
        non_empty(v);
        (o.*field).emplace_back(v);
    };
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

std::uint64_t parse_count(std::string_view v) {
    return static_cast<std::uint64_t>(parse_number(v, 0, std::numeric_limits<long long>::max()));
}

// Unix permissions, as chmod takes them: 660, 0666.
int parse_mode(std::string_view v) {
    int mode = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), mode, 8);
    if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size() || mode > 0777) {
        throw std::invalid_argument("expected an octal mode such as 660 or 666");
    }
    return mode;
}

// --cron "SPEC COMMAND": checked now, so that a bad schedule stops gantry at start-up.
void store_cron(options& o, std::string_view line) {
    auto [schedule, command] = parse_cron_line(line);
    o.crons.push_back(
        {.schedule = schedule.describe(), .command = command, .call = {}, .timeout = 0});
}

// YAML: {schedule: SPEC, command: CMD} or {schedule: SPEC, call: pkg.mod:function},
// with an optional timeout in seconds.
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
            entry.timeout = static_cast<int>(parse_number(value, 0, 86400));
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

const std::vector<option_def>& rows() {
    static const std::vector<option_def> table = {
        {"module", "w", value_type::text, false,
         "WSGI app to import, as MODULE[:CALLABLE] (callable default: application)", store_module},
        {"wsgi-file", "file", value_type::path, false, "load the WSGI app from a Python file",
         text(&options::wsgi_file)},
        {"callable", "", value_type::text, false,
         "name of the WSGI callable (default: application)", text(&options::callable)},
        {"chdir", "", value_type::path, false, "change to this directory before loading the app",
         text(&options::chdir)},
        {"pythonpath", "pp", value_type::path, true, "add a directory to sys.path (repeatable)",
         append(&options::pythonpath)},
        {"socket", "s uwsgi-socket", value_type::text, true,
         "uwsgi-protocol listener: HOST:PORT, :PORT or /path.sock (repeatable)",
         append(&options::sockets)},
        {"http-socket", "", value_type::text, true,
         "HTTP/1.1 listener for clients and load balancers: HOST:PORT or :PORT (repeatable)",
         append(&options::http_sockets)},
        {"http-keepalive-timeout", "", value_type::number, false,
         "seconds an idle keep-alive HTTP connection stays open (default 5)",
         [](options& o, std::string_view v) {
             o.http_keepalive_timeout = parse_number(v, 1, 3600);
         }},
        {"processes", "p workers", value_type::number, false, "number of worker processes",
         [](options& o, std::string_view v) { o.processes = parse_number(v, 1, 1024); }},
        {"threads", "", value_type::number, false, "request threads in each worker (default 1)",
         [](options& o, std::string_view v) { o.threads = parse_number(v, 1, 256); }},
        {"mount", "", value_type::text, true,
         "serve another app under a URL prefix: /PREFIX=MODULE[:CALLABLE] (repeatable)",
         store_mount},
        {"limit-post", "", value_type::number, false,
         "largest request body accepted, in bytes; larger ones get 413 (default: no limit)",
         [](options& o, std::string_view v) {
             o.limit_post = parse_number(v, 0, std::numeric_limits<long long>::max());
         }},
        {"buffer-size", "b", value_type::number, false,
         "largest uwsgi vars block accepted, in bytes (default 65535)",
         [](options& o, std::string_view v) { o.buffer_size = parse_number(v, 512, 65535); }},
        {"socket-timeout", "", value_type::number, false,
         "seconds a read or write on a connection may wait (default 4)",
         [](options& o, std::string_view v) { o.socket_timeout = parse_number(v, 1, 86400); }},
        {"lazy-apps", "", value_type::flag, false,
         "import the app in each worker instead of once in the master",
         [](options& o, std::string_view) { o.lazy_apps = true; }},
        {"graceful-timeout", "", value_type::number, false,
         "seconds workers get to finish their requests on stop and reload (default 30)",
         [](options& o, std::string_view v) { o.graceful_timeout = parse_number(v, 1, 86400); }},
        {"harakiri", "", value_type::number, false,
         "kill a worker whose request runs longer than this many seconds (default off)",
         [](options& o, std::string_view v) { o.harakiri = parse_number(v, 0, 86400); }},
        {"max-requests", "", value_type::number, false,
         "recycle a worker after this many requests (default off)",
         [](options& o, std::string_view v) { o.max_requests = parse_count(v); }},
        {"max-requests-delta", "", value_type::number, false,
         "add up to this many to each worker's --max-requests, so they do not recycle together",
         [](options& o, std::string_view v) { o.max_requests_delta = parse_count(v); }},
        {"reload-on-rss", "", value_type::number, false,
         "recycle a worker whose resident memory exceeds this many MB (default off)",
         [](options& o, std::string_view v) { o.reload_on_rss = parse_count(v); }},
        {"max-worker-lifetime", "", value_type::number, false,
         "recycle a worker after this many seconds (default off)",
         [](options& o, std::string_view v) {
             o.max_worker_lifetime = parse_number(v, 0, 31536000);
         }},
        {"cheap", "", value_type::flag, false, "start no worker until a connection is pending",
         [](options& o, std::string_view) { o.cheap = true; }},
        {"idle", "", value_type::number, false,
         "after this many seconds without a request, stop the workers and go back to cheap",
         [](options& o, std::string_view v) { o.idle = parse_number(v, 0, 86400); }},
        {"cheaper", "", value_type::number, false,
         "adaptive pool: keep at least this many workers, grow up to --processes under load",
         [](options& o, std::string_view v) { o.cheaper = parse_number(v, 0, 1024); }},
        {"cheaper-initial", "", value_type::number, false,
         "workers at start with --cheaper (default: --cheaper)",
         [](options& o, std::string_view v) { o.cheaper_initial = parse_number(v, 1, 1024); }},
        {"cheaper-step", "", value_type::number, false,
         "workers added at a time when all are busy (default 1)",
         [](options& o, std::string_view v) { o.cheaper_step = parse_number(v, 1, 1024); }},
        {"cheaper-overload", "", value_type::number, false,
         "seconds all workers must be busy before growing, or some idle before shrinking (3)",
         [](options& o, std::string_view v) { o.cheaper_overload = parse_number(v, 1, 3600); }},
        {"cron", "", value_type::text, true,
         "run a command on a schedule: \"SPEC COMMAND\" (5-field crontab, @every 10s, @daily...)",
         store_cron, store_cron_fields},
        {"pidfile", "", value_type::path, false, "write the master's pid to this file",
         text(&options::pidfile)},
        {"uid", "", value_type::text, false, "run as this user (name or id) after binding",
         text(&options::uid)},
        {"gid", "", value_type::text, false, "run as this group (name or id) after binding",
         text(&options::gid)},
        {"chmod-socket", "", value_type::text, false, "mode of unix sockets (default 660)",
         [](options& o, std::string_view v) { o.chmod_socket = parse_mode(v); }},
        {"listen", "l", value_type::number, false,
         "listen queue size (default 1024; clamped to net.core.somaxconn)",
         [](options& o, std::string_view v) { o.listen = parse_number(v, 1, 65535); }},
        {"logto", "", value_type::path, false,
         "write the log (and the app's output) to this file; SIGUSR1 reopens it",
         text(&options::logto)},
        {"log-format", "", value_type::text, false, "uwsgi (one text line per event) or json",
         [](options& o, std::string_view v) {
             if (v != "uwsgi" && v != "json" && v != "text") {
                 throw std::invalid_argument("expected uwsgi or json");
             }
             o.log_json = v == "json";
         }},
        {"disable-logging", "", value_type::flag, false, "no log line per request",
         [](options& o, std::string_view) { o.disable_logging = true; }},
        {"yaml", "y", value_type::path, false, "read options from a YAML file (key: gantry)",
         text(&options::yaml)},
        {"help", "h", value_type::flag, false, "show this help and exit",
         [](options& o, std::string_view) { o.help = true; }},
        {"version", "", value_type::flag, false, "print the version and exit",
         [](options& o, std::string_view) { o.version = true; }},
    };
    return table;
}

std::vector<std::string_view> names_of(const option_def& d) {
    std::vector<std::string_view> names{d.name};
    std::string_view rest = d.aliases;
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        names.push_back(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    return names;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::span<const option_def> option_table() {
    return rows();
}

const option_def* find_option(std::string_view name) {
    for (const option_def& d : rows()) {
        for (std::string_view n : names_of(d)) {
            if (n == name) {
                return &d;
            }
        }
    }
    return nullptr;
}

std::string suggest_option(std::string_view name) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 3) + 1;
    for (const option_def& d : rows()) {
        const std::size_t distance = edit_distance(name, d.name);
        if (distance < best_distance) {
            best_distance = distance;
            best = d.name;
        }
    }
    return best;
}

std::string usage_text() {
    std::string text =
        "usage: gantry [--yaml FILE] [--module MOD[:CALLABLE] | --wsgi-file PATH] "
        "--socket ADDR [options]\n\noptions:\n";
    for (const option_def& d : rows()) {
        std::string flags;
        for (std::string_view n : names_of(d)) {
            flags +=
                fmt::format("{}{}{}", flags.empty() ? "" : ", ", n.size() == 1 ? "-" : "--", n);
        }
        if (d.type != value_type::flag) {
            flags += d.type == value_type::number ? " N" : " VALUE";
        }
        text += fmt::format("  {:<36} {}\n", flags, d.doc);
    }
    return text;
}

void store_all(options& o, std::span<const assignment> assignments) {
    for (const assignment& a : assignments) {
        try {
            if (!a.fields.empty()) {
                a.def->store_fields(o, a.fields);
            } else {
                a.def->store(o, a.value);
            }
        } catch (const std::invalid_argument& e) {
            if (!a.fields.empty()) {
                throw config_error(fmt::format("{}: {}", a.origin, e.what()));
            }
            throw config_error(fmt::format("{}: {}, got '{}'", a.origin, e.what(), a.value));
        }
    }
}

}  // namespace gantry::server
