// Puts a gantry together from its options: working directory, listeners, interpreter,
// application, master. Everything that can fail at start-up fails here, before any fork.
#pragma once

#include <string>
#include <vector>

#include "server/options/options.hpp"

namespace gantry::server {

// Returns the exit code. Throws config_error, embed::app_load_error or std::runtime_error.
// `argv` is how gantry was started, for a reload that re-executes the master.
int run(const options& o, const std::vector<std::string>& argv);

}  // namespace gantry::server
