// --pidfile: the master's pid, written at start-up and removed when gantry stops (a reload
// keeps it: execv() does not change the pid).
#pragma once

#include <string>

namespace gantry::server {

class pidfile {
public:
    // Writes our pid to `path` atomically (a new file in the same folder, renamed over it),
    // so a symlink or a hard link planted there is replaced, never written through. No-op
    // for "". Throws std::runtime_error naming --pidfile when `path` is a symlink (refused:
    // it may point anywhere root can write) or cannot be written.
    //
    // `reloaded`: this master replaced itself (same pid) and may no longer have the rights
    // to write there: a file that already holds our pid is kept as it is, and a failure is
    // logged rather than thrown, since throwing would stop a running service.
    pidfile(std::string path, bool reloaded);
    // Removes the file if it still holds our pid.
    ~pidfile();
    pidfile(const pidfile&) = delete;
    pidfile& operator=(const pidfile&) = delete;

    // After the privilege drop: warns when the folder no longer lets us remove the file at
    // exit (it is then left behind, and replaced at the next start).
    void warn_if_left_behind() const;

private:
    std::string path_;
};

}  // namespace gantry::server
