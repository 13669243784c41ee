// Turns a Python exception into the text Python itself would print, for the log.
#pragma once

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

namespace gantry::embed {

// "Traceback (most recent call last): ..." for `e`; needs the GIL.
std::string format_exception(const pybind11::error_already_set& e);

// Runs `f` holding the GIL. A Python exception leaves as std::runtime_error with the
// traceback: pybind11's error_already_set needs a live interpreter even to say what() it is,
// and the server may print it after the interpreter is gone.
template <typename F>
auto with_python(F&& f) -> decltype(f()) {
    pybind11::gil_scoped_acquire gil;
    try {
        return f();
    } catch (const pybind11::error_already_set& e) {
        throw std::runtime_error(format_exception(e));
    }
}

// Raises OSError(message) in Python from C++ code called by Python.
[[noreturn]] void raise_os_error(const std::string& message);

}  // namespace gantry::embed
