// The application's options: which WSGI app to import, from where, with what around it.
#include <regex>
#include <stdexcept>

#include "server/options/option_rows.hpp"
#include "server/options/row_factories.hpp"

namespace gantry::server::rows {
namespace {

// "pkg.mod:callable" sets both; "pkg.mod" leaves the callable to --callable.
// NAME, or an app factory called as gunicorn calls it: NAME() or NAME('prod', debug=True),
// arguments literal (strings, numbers, True/False/None), so the app is the same each start.
void check_callable(const std::string& callable) {
    static const std::string literal =
        R"((?:'[^']*'|"[^"]*"|-?[0-9]+(?:\.[0-9]+)?|True|False|None))";
    static const std::string arg = R"((?:[A-Za-z_]\w*\s*=\s*)?)" + literal;
    static const std::regex form(R"([A-Za-z_]\w*(?:\(\s*(?:)" + arg + R"((?:\s*,\s*)" + arg +
                                 R"()*\s*,?\s*)?\))?)");
    if (!std::regex_match(callable, form)) {
        throw std::invalid_argument(
            "expected a callable's NAME, or a factory call NAME() / NAME('literal', key=1) "
            "(the arguments must be literals)");
    }
}

void store_module(options& o, std::string_view value) {
    non_empty(value);
    const auto colon = value.find(':');
    o.module = std::string(value.substr(0, colon));
    if (colon != std::string_view::npos) {
        o.callable = std::string(value.substr(colon + 1));
        if (o.module.empty() || o.callable.empty()) {
            throw std::invalid_argument("expected MODULE or MODULE:CALLABLE");
        }
        check_callable(o.callable);
    }
}

shown show_module(const options& o) {
    return o.module.empty() ? shown{} : shown{quoted(o.module + ":" + o.callable)};
}

void store_callable(options& o, std::string_view value) {
    non_empty(value);
    o.callable = value;
    check_callable(o.callable);
}

// Shown only when --module does not already carry it.
shown show_callable(const options& o) {
    return o.callable == "application" || !o.module.empty() ? shown{} : shown{quoted(o.callable)};
}

void store_env(options& o, std::string_view value) {
    if (value.find('=') == std::string_view::npos || value.front() == '=') {
        throw std::invalid_argument("expected NAME=VALUE");
    }
    o.envs.emplace_back(value);
}

shown show_envs(const options& o) {
    shown out;
    for (const std::string& e : o.envs) {
        out.push_back(quoted(e));
    }
    return out;
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

shown show_mounts(const options& o) {
    shown out;
    for (const auto& m : o.mounts) {
        out.push_back(quoted((m.prefix.empty() ? "/" : m.prefix) + "=" + m.app));
    }
    return out;
}

}  // namespace

std::vector<option_def> app_rows() {
    using o = options;
    const auto app = section::app;
    return {
        {"module", "w wsgi", app, value_type::text, false, "",
         "WSGI app to import, as MODULE[:CALLABLE] (callable default: application); "
         "MODULE:create_app() calls an app factory",
         store_module, show_module},
        text("wsgi-file", "file", app, "load the WSGI app from a Python file", &o::wsgi_file,
             value_type::path),
        {"callable", "", app, value_type::text, false, "application", "name of the WSGI callable",
         store_callable, show_callable},
        from_start_dir(text("chdir", "", app, "change to this directory before loading the app",
                            &o::chdir, value_type::path)),
        list("pythonpath", "pp python-path", app, "add a directory to sys.path", &o::pythonpath,
             value_type::path),
        {"env", "", app, value_type::text, true, "", "set an environment variable: NAME=VALUE",
         store_env, show_envs},
        {"mount", "", app, value_type::text, true, "",
         "another app under a URL prefix: /PREFIX=MODULE[:CALLABLE] or /PREFIX=app.py", store_mount,
         show_mounts},
        text("virtualenv", "H home venv pyhome", app,
             "the app's PEP 405 virtualenv (python3 -m venv DIR): Python runs as DIR/bin/python "
             "would, and DIR/bin comes first on PATH",
             &o::virtualenv, value_type::path),
        number("optimize", "O", app, "0",
               "Python optimization level: 1 as python -O (no asserts), 2 as -OO (no docstrings)",
               &o::optimize, 0, 2),
        flag("lazy-apps", "lazy", app,
             "import the app in each worker instead of once in the master", &o::lazy_apps),
    };
}

}  // namespace gantry::server::rows
