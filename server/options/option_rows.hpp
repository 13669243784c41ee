// The rows of the option table, made once (see option_table.hpp for what a row is).
#pragma once

#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

std::vector<option_def> make_option_rows();

}  // namespace gantry::server
