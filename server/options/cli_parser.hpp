// Reads options from argv: --name VALUE, --name=VALUE, -x VALUE, and bare flags.
#pragma once

#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

// Throws config_error for an unknown option, a missing value or a stray argument.
std::vector<assignment> parse_command_line(int argc, const char* const* argv);

}  // namespace gantry::server
