#include "embed/module_files.hpp"

#include <pybind11/pybind11.h>

#include <filesystem>

namespace py = pybind11;

namespace gantry::embed {
namespace {

// A module's __file__ as a path, or "" when it has none a person could edit.
std::string file_of(py::handle module) {
    // getattr with a default swallows whatever a module's __getattr__ (PEP 562) raises.
    const py::object file = py::getattr(module, "__file__", py::none());
    if (!py::isinstance<py::str>(file)) {
        return {};
    }
    std::string path;
    try {
        path = file.cast<std::string>();
    } catch (const py::error_already_set&) {
        return {};  // not UTF-8 (a surrogate-escaped name): not one this reloader can stat
    } catch (const py::cast_error&) {
        return {};
    }
    if (path.ends_with(".pyc") || path.ends_with(".pyo")) {
        path.pop_back();
    }
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    return ec ? std::string{} : absolute.string();
}

}  // namespace

std::vector<std::string> imported_module_files() {
    const py::gil_scoped_acquire gil;
    std::vector<std::string> files;
    try {
        // A copy: no Python code runs while it is made (it is all C under the GIL), and the
        // __file__ lookups below may import (a lazy module), which must not change what is
        // walked.
        const py::list modules(py::module_::import("sys").attr("modules").attr("values")());
        files.reserve(modules.size());
        for (const py::handle m : modules) {
            if (std::string f = file_of(m); !f.empty()) {
                files.push_back(std::move(f));
            }
        }
    } catch (const py::error_already_set&) {
        // sys.modules replaced by something odd: the files found so far are what there is.
    }
    return files;
}

}  // namespace gantry::embed
