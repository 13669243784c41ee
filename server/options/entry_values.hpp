// From entries to assignments: each key matched to its option row (long name or alias), its
// value made what the row expects (a flag's true/false, a number without uWSGI's trailing
// "; comment", a gantry-style file's relative path made absolute), and every refusal
// gathered: unknown keys with a suggestion, uWSGI options gantry does not have with advice.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_problems.hpp"
#include "server/options/option_table.hpp"

namespace gantry::server {

// `placeholders`: names that are the configuration's own (config_reader::referenced()).
std::vector<assignment> assignments_of(const std::vector<config_entry>& entries,
                                       const std::set<std::string>& placeholders,
                                       config_problems& problems);

// Whether an option is meant for the command line only (--help, --check-config...).
bool command_line_only(const option_def& d);

// "unknown option 'x' (did you mean 'y'?)", with `dashes` before names on the command line.
std::string unknown_option_message(std::string_view name, std::string_view dashes);

}  // namespace gantry::server
