// The options about the configuration itself (config files, --help, --print-config), and the
// uWSGI options gantry accepts and has nothing to do for.
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

// uWSGI loads its Python support as a plugin; gantry is nothing but that.
void store_plugin(options&, std::string_view value) {
    if (value.find("python") == std::string_view::npos) {
        throw std::invalid_argument("gantry only runs Python apps");
    }
}

}  // namespace

std::vector<option_def> meta_rows() {
    using o = options;
    const auto meta = section::meta;
    std::vector<option_def> rows = {
        text("yaml", "y", meta, "read options from a YAML file (key: gantry)", &o::yaml,
             value_type::path),
        text("ini", "", meta, "read options from a uWSGI INI file ([uwsgi])", &o::ini,
             value_type::path),
        flag("check-config", "", meta, "check the configuration and exit (0 when it is good)",
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

std::vector<option_def> compat_rows() {
    std::vector<option_def> rows;
    for (const char* name : {"plugin", "plugins"}) {
        rows.push_back({name, "", section::compat, value_type::text, true, "",
                        "accepted for uWSGI compatibility when it names python", store_plugin,
                        [](const options&) { return shown{}; }});
    }
    for (const char* name : {"master", "enable-threads", "vacuum", "die-on-term", "need-app",
                             "thunder-lock", "single-interpreter", "strict"}) {
        rows.push_back(always_on(name));
    }
    return rows;
}

}  // namespace gantry::server::rows
