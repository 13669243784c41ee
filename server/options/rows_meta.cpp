// The options about the configuration itself: config files, placeholders, --help,
// --print-config.
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

option_def config_file_row(std::string_view name, std::string_view aliases, std::string_view doc) {
    option_def row =
        list(name, aliases, section::meta, doc, &options::config_files, value_type::path);
    row.from_start_dir = true;
    return row;
}

// NAME=VALUE: a name for %(NAME) that is no option (uWSGI's set-placeholder). The value is
// taken by the config reader; nothing is stored.
void store_placeholder(options&, std::string_view value) {
    const auto eq = value.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        throw std::invalid_argument("expected NAME=VALUE");
    }
}

}  // namespace

std::vector<option_def> meta_rows() {
    using o = options;
    const auto meta = section::meta;
    std::vector<option_def> rows = {
        config_file_row("yaml", "y yml",
                        "read options from a YAML file (under gantry: or uwsgi:); FILE:KEY "
                        "reads another top-level key"),
        config_file_row("ini", "",
                        "read options from an INI file ([uwsgi] or [gantry]); FILE:SECTION "
                        "reads another section"),
        config_file_row("json", "j js", "read options from a JSON file ({\"uwsgi\": {...}})"),
        {"set-placeholder", "set-ph", meta, value_type::text, true, "",
         "NAME=VALUE: a value for %(NAME) in config files", store_placeholder,
         [](const o&) { return shown{}; }},
        flag("check-config", "", meta,
             "check the configuration, list every problem, and exit (0 when it is good)",
             &o::check_config),
        flag("print-config", "", meta, "print the effective configuration as YAML and exit",
             &o::print_config),
        flag("help", "h", meta, "show this help and exit", &o::help),
        flag("version", "", meta, "print the version and exit", &o::version),
    };
    // What the configuration is, not what it asks for: never printed back.
    for (option_def& d : rows) {
        d.show = [](const o&) { return shown{}; };
    }
    return rows;
}

}  // namespace gantry::server::rows
