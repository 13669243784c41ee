// Finds the WSGI callable named by --module / --wsgi-file / --callable.
#pragma once

#include <pybind11/pybind11.h>

#include "embed/wsgi_app.hpp"

namespace gantry::embed {

// Needs the GIL; throws app_load_error with the Python traceback or the cause.
pybind11::object load_app(const app_spec& spec);

}  // namespace gantry::embed
