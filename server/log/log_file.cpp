#include "server/log/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "server/log/log.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {
namespace {

std::string log_path;  // set once at start-up, before any thread or fork

// The log becomes stdout and stderr, which stay inheritable (dup2 clears close-on-exec) on
// purpose: a cron command's output lands in the log.
int open_onto_stdio(const std::string& path) {
    const unique_fd file(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!file) {
        return errno;
    }
    dup2(file.get(), STDOUT_FILENO);
    dup2(file.get(), STDERR_FILENO);
    return 0;
}

}  // namespace

void open_log_file(const std::string& path) {
    if (const int err = open_onto_stdio(path); err != 0) {
        throw std::runtime_error(fmt::format("--logto {}: {}", path, std::strerror(err)));
    }
    log_path = path;
}

void keep_log_file(const std::string& path) {
    struct stat file {};
    struct stat err {};
    const bool same = stat(path.c_str(), &file) == 0 && fstat(STDERR_FILENO, &err) == 0 &&
                      file.st_dev == err.st_dev && file.st_ino == err.st_ino;
    log_path = path;
    if (same) {
        return;
    }
    if (const int e = open_onto_stdio(path); e != 0) {
        log::error("reload: cannot open --logto {}: {}; logging where the previous master did",
                   path, std::strerror(e));
    }
}

void reopen_log_file() noexcept {
    if (log_path.empty()) {
        return;
    }
    if (const int err = open_onto_stdio(log_path); err != 0) {
        log::error("cannot reopen the log file {}: {}", log_path, std::strerror(err));
    }
}

}  // namespace gantry::server
