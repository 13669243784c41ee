// Reads options from a YAML file: a top-level `gantry:` (or uWSGI's `uwsgi:`) mapping whose
// keys are option names. Errors name the file, line and column.
#pragma once

#include <string>
#include <vector>

#include "server/options/option_table.hpp"

namespace gantry::server {

// Throws config_error for an unreadable file, bad YAML, an unknown key or a wrong shape.
std::vector<assignment> load_yaml(const std::string& path);

// The same for a file's text already in memory (the fuzz harness's entry point): `path` is
// what errors name and where relative paths resolve from.
std::vector<assignment> load_yaml_text(const std::string& text, const std::string& path);

}  // namespace gantry::server
