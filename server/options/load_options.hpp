// argv → effective options: the UWSGI_*/GANTRY_* environment, the config files in
// command-line order, the command line over them, and the checks that the result can run.
// Every problem found is reported at once.
#pragma once

#include <string>
#include <vector>

#include "server/options/config_reader.hpp"
#include "server/options/option_table.hpp"
#include "server/options/options.hpp"

namespace gantry::server {

// Throws config_error listing every problem, one per line.
options load_options(int argc, const char* const* argv);
// The same with the environment given (tests).
options load_options(int argc, const char* const* argv, char** environment);

// The assignments one config text makes (tests and fuzzing): `path` names it in messages
// and is where its relative paths are from. Throws config_error listing every problem.
std::vector<assignment> load_config_text(const std::string& text, const std::string& path,
                                         config_kind kind);

}  // namespace gantry::server
