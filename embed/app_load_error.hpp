// Thrown when the WSGI application cannot be imported or found; what() holds the
// Python traceback, ready to print.
#pragma once

#include <stdexcept>

namespace gantry::embed {

class app_load_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace gantry::embed
