// The passes uWSGI makes over every value once all config files are read: "$(NAME)" is an
// environment variable ("$(NAME:-default)" when unset or empty, "$(NAME-default)" when
// unset), "@(path)" a file's contents (less one trailing newline), then "%(key)" is the value of
// the first `key` in the configuration, an option or a placeholder of the file's own, with uWSGI's
// arithmetic: "%(workers + 2)", "%(a b)" (joined), "%(n ++)". A reference that cannot be resolved
// is a problem, not a silent "".
#pragma once

#include <vector>

#include "server/options/config_entry.hpp"
#include "server/options/config_problems.hpp"

namespace gantry::server {

void resolve_references(std::vector<config_entry>& entries, config_problems& problems);

// One entry against the entries before it (an include, read before the others resolve).
void resolve_entry(config_entry& e, const std::vector<config_entry>& context,
                   config_problems& problems);

}  // namespace gantry::server
