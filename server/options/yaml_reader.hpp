// The entries of a YAML or JSON config file: the mapping under its top-level key (`uwsgi:`
// or `gantry:`, or the section asked for), a list giving one entry per item, and for cron a
// list of mappings. JSON is read as the YAML it is a subset of, as uWSGI reads it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_problems.hpp"

namespace gantry::server {

// `section` empty: `gantry:` or else `uwsgi:`. A file that does not parse, or has no such
// key, is a problem (and no entries). `found` tells whether the section was there.
std::vector<config_entry> yaml_entries(const std::string& text, const std::string& path,
                                       std::string_view section, config_problems& problems,
                                       bool& found);

}  // namespace gantry::server
