// --logto: the log (and everything the app prints) goes to a file instead of the terminal.
// The file is opened onto descriptors 1 and 2, so workers inherit it; after logrotate moved
// it, SIGUSR1 makes each process open the path anew. The master can also rotate it itself,
// as uWSGI does: by size (--log-maxsize) or when asked (touch-logrotate).
#pragma once

#include <cstdint>
#include <string>

namespace gantry::server {

// --log-maxsize and --log-backupname.
struct log_rotation {
    std::uint64_t max_size = 0;  // bytes; 0: only when asked
    std::string backup_name;     // "": the path plus ".<unix time>", as uWSGI names it
};

// Throws std::runtime_error naming the path when it cannot be opened.
void open_log_file(const std::string& path, const log_rotation& rotation = {});

// For a master re-executed by a reload, which inherits the log on descriptors 1 and 2 and
// may no longer be allowed to open it (after --uid): keeps them when they are the file at
// `path`, else opens `path` (a configuration that names another file), logging a failure
// instead of throwing.
void keep_log_file(const std::string& path, const log_rotation& rotation = {});

// Opens the --logto path again (no-op without --logto); failures are logged to the old file.
void reopen_log_file() noexcept;

// Whether --log-maxsize is set and the file at the --logto path is bigger.
bool log_file_oversized() noexcept;

// Renames the --logto file to its backup name and opens a new one onto this process's
// descriptors 1 and 2; the other processes must then reopen it (SIGUSR1). False, with the
// reason logged, when there is no --logto or the rename failed. For the master only: call
// master::rotate_logs(), which also tells the workers.
bool rotate_log_file() noexcept;

}  // namespace gantry::server
