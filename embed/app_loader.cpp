#include "embed/app_loader.hpp"

#include <fmt/format.h>
#include <filesystem>

#include "embed/app_load_error.hpp"
#include "embed/python_error.hpp"

namespace py = pybind11;

namespace gantry::embed {
namespace {

// A file is loaded as a module of its own name, registered in sys.modules like an
// imported one, so pickling and relative lookups of its objects keep working.
py::object load_file(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) {
        throw app_load_error("--wsgi-file " + path + ": no such file");
    }
    const std::string name = std::filesystem::path(path).stem().string();
    py::module_ util = py::module_::import("importlib.util");
    py::object spec = util.attr("spec_from_file_location")(name, path);
    if (spec.is_none()) {
        throw app_load_error("--wsgi-file " + path + ": not a Python file");
    }
    py::object module = util.attr("module_from_spec")(spec);
    py::module_::import("sys").attr("modules")[py::str(name)] = module;
    spec.attr("loader").attr("exec_module")(module);
    return module;
}

// "create_app()" or "create_app('prod')": the app is what the factory returns.
py::object call_factory(const py::object& module, const std::string& what,
                        const std::string& expression) {
    try {
        return py::module_::import("gantry").attr("_call_factory")(module, expression);
    } catch (const py::error_already_set& e) {
        const std::string traceback = format_exception(e);
        throw app_load_error(fmt::format("{}:{}: the app factory failed: {}\n{}", what, expression,
                                         traceback.substr(traceback.rfind('\n') + 1), traceback));
    }
}

}  // namespace

py::object load_app(const app_spec& spec) {
    const std::string what = spec.wsgi_file.empty() ? spec.module : spec.wsgi_file;
    py::object module;
    try {
        module = spec.wsgi_file.empty() ? py::module_::import(spec.module.c_str())
                                        : load_file(spec.wsgi_file);
    } catch (const py::error_already_set& e) {
        // First line: the option and the cause (the traceback's last line); then the rest.
        const std::string traceback = format_exception(e);
        const std::string cause = traceback.substr(traceback.rfind('\n') + 1);
        throw app_load_error(fmt::format("{} {}: cannot import: {}\n{}",
                                         spec.wsgi_file.empty() ? "--module" : "--wsgi-file", what,
                                         cause, traceback));
    }
    const auto paren = spec.callable.find('(');
    const std::string name = spec.callable.substr(0, paren);
    if (!py::hasattr(module, name.c_str())) {
        throw app_load_error("cannot load the application: " + what + " has no callable '" + name +
                             "'");
    }
    py::object app = module.attr(name.c_str());
    if (paren != std::string::npos) {
        app = call_factory(module, what, spec.callable);
    }
    if (!PyCallable_Check(app.ptr())) {
        throw app_load_error("cannot load the application: " + what + ":" + spec.callable +
                             " is not callable");
    }
    return app;
}

}  // namespace gantry::embed
