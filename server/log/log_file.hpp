// --logto: the log (and everything the app prints) goes to a file instead of the terminal.
// The file is opened onto descriptors 1 and 2, so workers inherit it; after logrotate moved
// it, SIGUSR1 makes each process open the path anew.
#pragma once

#include <string>

namespace gantry::server {

// Throws std::runtime_error naming the path when it cannot be opened.
void open_log_file(const std::string& path);

// Opens the --logto path again (no-op without --logto); failures are logged to the old file.
void reopen_log_file() noexcept;

}  // namespace gantry::server
