// Reads uWSGI INI files: the [uwsgi] (or [gantry]) section, "key = value" lines, repeated
// keys for lists, %(key) for an earlier value and %d for the file's folder, $(VAR) for the
// environment. Errors name the file and line.
#pragma once

#include <string>
#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

std::vector<assignment> load_ini(const std::string& path);

// The same for a file's text already in memory (the fuzz harness's entry point): `path` is
// what errors name and what %d and relative paths resolve from.
std::vector<assignment> load_ini_text(const std::string& contents, const std::string& path);

}  // namespace gantry::server
