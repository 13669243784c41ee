// Puts a gantry together from its options: working directory, listeners, interpreter,
// application, master. Everything that can fail at start-up fails here, before any fork.
#pragma once

#include "server/options/options.hpp"

namespace gantry::server {

// Returns the exit code. Throws config_error, embed::app_load_error or std::runtime_error.
int run(const options& o);

}  // namespace gantry::server
