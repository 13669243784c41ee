#include "server/options/row_factories.hpp"

#include <stdexcept>

namespace gantry::server::rows {

const options& defaults() {
    static const options none{};
    return none;
}

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
                std::string_view doc, std::string options::*f, value_type type) {
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
                std::string_view doc, std::vector<std::string> options::*f, value_type type) {
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

option_def duration(std::string_view name, std::string_view section, std::string_view default_text,
                    std::string_view doc, int options::*f, long long max, long long min) {
    return {name,
            "",
            section,
            value_type::duration,
            false,
            default_text,
            doc,
            [f, max, min](options& o, std::string_view v) {
                const long long seconds = parse_duration(v, max);
                if (seconds < min) {
                    // 0 would mean "wait forever" to the kernel, which no deadline may mean.
                    throw std::invalid_argument(
                        fmt::format("expected at least {} s (there is no \"no timeout\")", min));
                }
                o.*f = static_cast<int>(seconds);
            },
            [f](const options& o) {
                return o.*f == defaults().*f ? shown{} : shown{fmt::format("{}s", o.*f)};
            }};
}

option_def flag(std::string_view name, std::string_view aliases, std::string_view section,
                std::string_view doc, bool options::*f) {
    return {name, aliases, section, value_type::flag, false, "off", doc,
            // The loaders give "true" or "false" (a file may turn a flag off again).
            [f](options& o, std::string_view v) { o.*f = v != "false"; },
            [f](const options& o) { return o.*f ? shown{"true"} : shown{}; }};
}

option_def always_on(std::string_view name, std::string_view how) {
    option_def row{name,
                   "",
                   section::compat,
                   value_type::flag,
                   false,
                   "on",
                   how,
                   [](options&, std::string_view) {},
                   [](const options&) { return shown{}; }};
    row.uwsgi_note = "always on";
    return row;
}

option_def noted(std::string_view name, value_type type, std::string_view note, bool warning) {
    option_def row{name,
                   "",
                   section::compat,
                   type,
                   false,
                   "",
                   note,
                   [name, note, warning, type](options& o, std::string_view v) {
                       if (type == value_type::flag && v == "false") {
                           return;
                       }
                       (warning ? o.config_warnings : o.config_notices)
                           .push_back(fmt::format("{}: {}", name, note));
                   },
                   [](const options&) { return shown{}; }};
    row.uwsgi_note = warning ? "accepted, with a warning" : "accepted, with a note";
    return row;
}

}  // namespace gantry::server::rows
