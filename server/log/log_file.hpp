// --logto: the log (and everything the app prints) goes to a file instead of the terminal.
// The file is opened onto descriptors 1 and 2, so workers inherit it; after logrotate moved
// it, SIGUSR1 makes each process open the path anew.
#pragma once

#include <string>

namespace gantry::server {

// Throws std::runtime_error naming the path when it cannot be opened.
void open_log_file(const std::string& path);

// For a master re-executed by a reload, which inherits the log on descriptors 1 and 2 and
// may no longer be allowed to open it (after --uid): keeps them when they are the file at
// `path`, else opens `path` (a configuration that names another file), logging a failure
// instead of throwing.
void keep_log_file(const std::string& path);

// Opens the --logto path again (no-op without --logto); failures are logged to the old file.
void reopen_log_file() noexcept;

}  // namespace gantry::server
