// The operator's options: who gantry runs as, where its pid and its log go, and what the
// log says.
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "server/log/request_format.hpp"

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"
#include "server/process/user_ids.hpp"

namespace gantry::server::rows {
namespace {

// --log-style: gantry's own line format. "uwsgi" is accepted as another name for text.
void store_log_style(options& o, std::string_view value) {
    if (value != "text" && value != "json" && value != "uwsgi") {
        throw std::invalid_argument("expected text or json");
    }
    o.log_json = value == "json";
}

shown show_log_style(const options& o) {
    return o.log_json ? shown{"json"} : shown{};
}

// --log-format is uWSGI's request-line template; its three old gantry values still choose
// the line style, as --log-style does, so that existing configurations keep their meaning.
void store_log_format(options& o, std::string_view value) {
    non_empty(value);
    if (value == "uwsgi" || value == "text" || value == "json") {
        store_log_style(o, value);
        return;
    }
    const log::request_format check(value);  // refuses an unknown %(var) now, not per line
    o.log_format = value;
}

shown show_log_format(const options& o) {
    return o.log_format.empty() ? shown{} : shown{quoted(o.log_format)};
}

// --log-date: uWSGI prefixes its lines with a date, or with a strftime FORMAT given as the
// value. Gantry's lines always carry the time; a FORMAT replaces its default one.
void store_log_date(options& o, std::string_view value) {
    if (value.empty()) {  // a bare `log-date` line: on, with the default format
        return;
    }
    bool on = true;
    try {
        on = parse_bool(value);
    } catch (const std::invalid_argument&) {
        o.log_date = value;  // a format
        return;
    }
    if (!on) {
        o.log_date.clear();
    }
}

shown show_log_date(const options& o) {
    return o.log_date.empty() ? shown{} : shown{quoted(o.log_date)};
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
        number("limit-as", "", ops, "inherited",
               "address space each process may map, in MB (RLIMIT_AS), set at start-up",
               &o::limit_as, 16, 1048576),
        flag("logfile-chown", "", ops,
             "give the logto file to --uid/--gid, so the run user can "
             "reopen it",
             &o::logfile_chown),
        {"logfile-chmod", "", ops, value_type::text, false, "as created",
         "mode of the logto file (octal, e.g. 640)",
         [](options& opt, std::string_view v) { opt.logfile_chmod = parse_mode(v); },
         [](const options& opt) {
             return opt.logfile_chmod < 0 ? shown{}
                                          : shown{quoted(fmt::format("{:o}", opt.logfile_chmod))};
         }},
        number("max-fd", "", ops, "inherited",
               "open files allowed per process (RLIMIT_NOFILE), set at start-up", &o::max_fd, 16,
               1048576),
        {"log-style", "", ops, value_type::text, false, "text",
         "gantry's own log lines: text, or json (one object per line)", store_log_style,
         show_log_style},
        {"log-level", "", ops, value_type::text, false, "info",
         "the lowest level logged: debug, info, warning or error", store_log_level, show_log_level},
        flag("disable-logging", "", ops, "no log line per request", &o::disable_logging),
        flag("log-4xx", "", ops, "with disable-logging, still log requests answered 4xx",
             &o::log_4xx),
        flag("log-5xx", "", ops, "with disable-logging, still log requests answered 5xx",
             &o::log_5xx),
        number("log-slow", "", ops, "off",
               "with disable-logging, still log requests that took at least this many "
               "milliseconds",
               &o::log_slow, 0, std::numeric_limits<std::uint32_t>::max()),
        flag("log-x-forwarded-for", "", ops,
             "request lines name the client by the first X-Forwarded-For address, when sent",
             &o::log_x_forwarded_for),
        [] {
            option_def row{"log-format",
                           "logformat",
                           section::ops,
                           value_type::text,
                           false,
                           "gantry's line",
                           "uWSGI's request-line template, e.g. '%(addr) [%(ltime)] \"%(method) "
                           "%(uri)\" %(status) %(msecs)'; its old values text, uwsgi and json "
                           "still set log-style",
                           store_log_format,
                           show_log_format};
            row.own_references = true;
            return row;
        }(),
        flag("log-format-strftime", "logformat-strftime", ops,
             "%(ftime) in log-format uses the log-date format", &o::log_format_strftime),
        {"log-date", "logdate", ops, value_type::text, false, "the time, to the millisecond",
         "strftime format of the time that starts gantry's lines (true: the default one)",
         store_log_date, show_log_date},
        size("log-maxsize", "", ops, "off",
             "rotate the logto file once it is bigger than this (the master renames it; every "
             "process reopens it)",
             &o::log_maxsize, std::numeric_limits<std::uint64_t>::max()),
        from_start_dir(text("log-backupname", "", ops,
                            "the name a rotated log file gets (default: the logto path plus "
                            ".<unix time>); relative paths as logto's",
                            &o::log_backupname, value_type::path)),
    };
}

}  // namespace gantry::server::rows
