// Reads uWSGI INI files: the [uwsgi] (or [gantry]) section, "key = value" lines, repeated
// keys for lists, %(key) for an earlier value and %d for the file's folder, $(VAR) for the
// environment. Errors name the file and line.
#pragma once

#include <string>
#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

std::vector<assignment> load_ini(const std::string& path);

}  // namespace gantry::server
