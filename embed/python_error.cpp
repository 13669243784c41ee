#include "embed/python_error.hpp"

namespace py = pybind11;

namespace gantry::embed {

std::string format_exception(const py::error_already_set& e) {
    try {
        // An import error whose frames Python stripped has no traceback object at all.
        py::object trace = e.trace() ? py::reinterpret_borrow<py::object>(e.trace()) : py::none();
        py::object lines =
            py::module_::import("traceback").attr("format_exception")(e.type(), e.value(), trace);
        std::string text = py::str("").attr("join")(lines).cast<std::string>();
        while (!text.empty() && text.back() == '\n') {
            text.pop_back();
        }
        return text;
    } catch (const std::exception&) {
        return e.what();  // the formatter itself failed: pybind11's summary still names it
    }
}

void raise_os_error(const std::string& message) {
    PyErr_SetString(PyExc_OSError, message.c_str());
    throw py::error_already_set();
}

}  // namespace gantry::embed
