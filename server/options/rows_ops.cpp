// The operator's options: who gantry runs as, where its pid and its log go, and what the
// log says.
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"
#include "server/process/user_ids.hpp"

namespace gantry::server::rows {
namespace {

// "text" is accepted as another name for uwsgi.
void store_log_format(options& o, std::string_view value) {
    if (value != "uwsgi" && value != "json" && value != "text") {
        throw std::invalid_argument("expected uwsgi or json");
    }
    o.log_json = value == "json";
}

shown show_log_format(const options& o) {
    return o.log_json ? shown{"json"} : shown{};
}

void store_log_level(options& o, std::string_view value) {
    const auto l = log::level_named(value);
    if (!l) {
        throw std::invalid_argument("expected debug, info, warning or error");
    }
    o.log_level = *l;
}

// A user or group: a name, or a number strictly in range (no wrap-around to root).
option_def id_row(std::string_view name, std::string_view doc, std::string options::*f) {
    option_def row = text(name, "", section::ops, doc, f);
    row.store = [f](options& o, std::string_view v) {
        non_empty(v);
        parse_numeric_id(v);
        o.*f = v;
    };
    return row;
}

void store_umask(options& o, std::string_view value) {
    o.umask = parse_mode(value);
}

shown show_umask(const options& o) {
    return o.umask < 0 ? shown{} : shown{quoted(fmt::format("{:03o}", o.umask))};
}

shown show_log_level(const options& o) {
    return o.log_level == defaults().log_level ? shown{} : shown{std::string(name_of(o.log_level))};
}

}  // namespace

std::vector<option_def> ops_rows() {
    using o = options;
    const auto ops = section::ops;
    return {
        from_start_dir(text("pidfile", "safe-pidfile pidfile2 safe-pidfile2", ops,
                            "write the master's pid to this file", &o::pidfile, value_type::path)),
        id_row("uid", "run as this user (name or id) after binding", &o::uid),
        id_row("gid", "run as this group (name or id) after binding", &o::gid),
        {"umask", "", ops, value_type::text, false, "inherited",
         "file mode creation mask set at start-up (octal, e.g. 027)", store_umask, show_umask},
        from_start_dir(text("logto", "logto2", ops,
                            "log (and the app's output) to this file; SIGUSR1 reopens it",
                            &o::logto, value_type::path)),
        number("max-fd", "", ops, "inherited",
               "open files allowed per process (RLIMIT_NOFILE), set at start-up", &o::max_fd, 16,
               1048576),
        {"log-format", "", ops, value_type::text, false, "uwsgi", "uwsgi (text lines) or json",
         store_log_format, show_log_format},
        {"log-level", "", ops, value_type::text, false, "info",
         "the lowest level logged: debug, info, warning or error", store_log_level, show_log_level},
        flag("disable-logging", "", ops, "no log line per request", &o::disable_logging),
    };
}

}  // namespace gantry::server::rows
