// Turns a Python exception into the text Python itself would print, for the log.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

namespace gantry::embed {

// "Traceback (most recent call last): ..." for `e`; needs the GIL.
std::string format_exception(const pybind11::error_already_set& e);

// Raises OSError(message) in Python from C++ code called by Python.
[[noreturn]] void raise_os_error(const std::string& message);

}  // namespace gantry::embed
