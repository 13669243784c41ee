#include "server/options/entry_values.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

#include "server/options/option_values.hpp"

namespace gantry::server {
namespace {

// uWSGI reads numbers with atoi() and flags by their first word, so "60   ; one minute"
// is 60 there: a trailing comment after whitespace is dropped for such values.
std::string without_comment(const std::string& v) {
    for (std::size_t i = 1; i < v.size(); ++i) {
        if ((v[i] == ';' || v[i] == '#') && (v[i - 1] == ' ' || v[i - 1] == '\t')) {
            const auto end = v.find_last_not_of(" \t", i - 1);
            return end == std::string::npos ? std::string() : v.substr(0, end + 1);
        }
    }
    return v;
}

// The value as the row's store() takes it, or throws std::invalid_argument.
std::string normalized(const option_def& def, const config_entry& e) {
    switch (def.type) {
        case value_type::flag: {
            const std::string v = without_comment(e.value);
            return v.empty() || parse_bool(v) ? "true" : "false";  // a bare `master` is on
        }
        case value_type::number:
        case value_type::size:
        case value_type::duration:
            return without_comment(e.value);
        case value_type::path:
            if (e.style == entry_style::gantry && !e.value.empty() && e.value.front() != '/') {
                return (std::filesystem::path(e.folder) / e.value).lexically_normal().string();
            }
            return e.value;
        case value_type::text:
            break;
    }
    return e.value;
}

// A key that is no option and that nothing refers to: a refused uWSGI option (with
// advice), a typo (a near option name, or a dash as options have: "vaccum", "exec-pre"), or
// else a placeholder kept for a file that includes this one ("django = %(lib)/django/"),
// which uWSGI takes silently and gantry takes with a warning.
void unknown_key(const config_entry& e, config_problems& problems) {
    if (const std::string_view advice = unsupported_uwsgi_option(e.key); !advice.empty()) {
        problems.add(fmt::format("{}: {}: a uWSGI option gantry does not have: {}", e.origin, e.key,
                                 advice));
        return;
    }
    if (!suggest_option(e.key).empty() || e.key.find('-') != std::string::npos) {
        problems.add(fmt::format("{}: {}", e.origin, unknown_option_message(e.key, "")));
        return;
    }
    problems.warn(fmt::format(
        "{}: '{}' is no option and nothing refers to it: kept as a placeholder for %({}), "
        "as uWSGI does (if it is meant as an option, check its name)",
        e.origin, e.key, e.key));
}

}  // namespace

bool command_line_only(const option_def& d) {
    return d.name == "help" || d.name == "version" || d.name == "check-config" ||
           d.name == "print-config";
}

std::string unknown_option_message(std::string_view name, std::string_view dashes) {
    const std::string near = suggest_option(name);
    return near.empty() ? fmt::format("unknown option '{}{}'", dashes, name)
                        : fmt::format("unknown option '{}{}' (did you mean '{}{}'?)", dashes, name,
                                      near.size() == 1 ? "-" : dashes, near);
}

std::vector<assignment> assignments_of(const std::vector<config_entry>& entries,
                                       const std::set<std::string>& placeholders,
                                       config_problems& problems) {
    std::vector<assignment> out;
    const option_def* last_list_refused = nullptr;
    for (const config_entry& e : entries) {
        if (e.placeholder || e.broken) {
            continue;
        }
        if (e.key.empty() || e.key.find_first_of(" \t") != std::string::npos) {
            problems.add(fmt::format("{}: expected 'key = value' (or a flag alone), got '{}{}'",
                                     e.origin, e.key, e.value.empty() ? "" : " = " + e.value));
            continue;
        }
        const option_def* def = find_option(e.key);
        if (def == nullptr) {
            if (!placeholders.contains(e.key)) {
                unknown_key(e, problems);
            }
            continue;
        }
        const std::string origin = fmt::format("{}: {}", e.origin, e.key);
        if (command_line_only(*def)) {
            problems.add(fmt::format("{}: works on the command line only", origin));
            continue;
        }
        if (e.from_list && !def->repeatable) {
            if (last_list_refused != def) {  // once for the list, not for each item
                problems.add(fmt::format("{}: expected a single value, not a list", origin));
            }
            last_list_refused = def;
            continue;
        }
        if (!e.fields.empty()) {
            if (!def->store_fields) {
                problems.add(fmt::format("{}: expected a plain value, not a mapping", origin));
                continue;
            }
            out.push_back({def, {}, origin, e.fields});
            continue;
        }
        try {
            out.push_back({def, normalized(*def, e), origin});
        } catch (const std::invalid_argument& err) {
            problems.add(fmt::format("{}: {}, got '{}'", origin, err.what(), e.value));
        }
    }
    return out;
}

}  // namespace gantry::server
