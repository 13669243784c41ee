// argv → effective options: the command line, the --yaml file under it, checks that the
// result can run.
#pragma once

#include "server/options/options.hpp"

namespace gantry::server {

// Throws config_error with the one line to print.
options load_options(int argc, const char* const* argv);

}  // namespace gantry::server
