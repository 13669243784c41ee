// --pidfile: the master's pid, written at start-up and removed when gantry stops (a reload
// keeps it: the pid does not change).
#pragma once

#include <string>

namespace gantry::server {

class pidfile {
public:
    // Throws std::runtime_error naming the path when it cannot be written. No-op for "".
    explicit pidfile(std::string path);
    ~pidfile();
    pidfile(const pidfile&) = delete;
    pidfile& operator=(const pidfile&) = delete;

private:
    std::string path_;
};

}  // namespace gantry::server
