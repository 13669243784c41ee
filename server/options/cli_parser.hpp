// Reads options from argv: --name VALUE, --name=VALUE, -x VALUE, bare flags, and as uWSGI
// does, a bare FILE.ini / FILE.yaml / FILE.json read as --ini / --yaml / --json FILE.
#pragma once

#include <vector>

#include "server/options/config_problems.hpp"
#include "server/options/option_table.hpp"

namespace gantry::server {

// Each mistake (unknown option, missing value, stray argument) is a problem; the rest of
// the command line is still read.
std::vector<assignment> parse_command_line(int argc, const char* const* argv,
                                           config_problems& problems);

}  // namespace gantry::server
