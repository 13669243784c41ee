// The lines of an INI config file, as uWSGI reads them: `key = value` (the value trimmed),
// a bare `key` (a flag turned on), `;` and `#` comment lines, `[section]` headers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/options/config_entry.hpp"

namespace gantry::server {

// The entries of `section` ("uwsgi" or "gantry" both when `section` is empty), each with
// origin "path:line" and the style of its section. `found` tells whether the section exists.
std::vector<config_entry> ini_entries(const std::string& text, const std::string& path,
                                      std::string_view section, bool& found);

}  // namespace gantry::server
