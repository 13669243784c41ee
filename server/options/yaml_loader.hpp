// Reads options from a YAML file: a top-level `gantry:` (or uWSGI's `uwsgi:`) mapping whose
// keys are option names. Errors name the file, line and column.
#pragma once

#include <string>
#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

// Throws config_error for an unreadable file, bad YAML, an unknown key or a wrong shape.
std::vector<assignment> load_yaml(const std::string& path);

}  // namespace gantry::server
