#include "server/log/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "server/log/log.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {
namespace {

std::string log_path;  // set once at start-up, before any thread or fork
log_rotation rotation_settings;

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

void open_log_file(const std::string& path, const log_rotation& rotation) {
    if (const int err = open_onto_stdio(path); err != 0) {
        throw std::runtime_error(fmt::format("--logto {}: {}", path, std::strerror(err)));
    }
    log_path = path;
    rotation_settings = rotation;
}

void keep_log_file(const std::string& path, const log_rotation& rotation) {
    rotation_settings = rotation;
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

bool log_file_oversized() noexcept {
    struct stat file {};
    // The file at the path, not the descriptor: after an outside logrotate moved it, the
    // file to measure is the new one.
    return rotation_settings.max_size != 0 && !log_path.empty() &&
           stat(log_path.c_str(), &file) == 0 &&
           static_cast<std::uint64_t>(file.st_size) > rotation_settings.max_size;
}

bool rotate_log_file() noexcept {
    if (log_path.empty()) {
        log::warning("log rotation asked for, but there is no --logto file to rotate");
        return false;
    }
    try {
        struct stat file {};
        if (stat(log_path.c_str(), &file) != 0) {
            // An outside logrotate moved it already (touch-logrotate after its rename): what
            // is left is to open the new one, as a reopen does.
            log::info("{} was moved away already: opening it anew", log_path);
            if (const int err = open_onto_stdio(log_path); err != 0) {
                log::error("cannot open the log {}: {}", log_path, std::strerror(err));
                return false;
            }
            return true;
        }
        const auto size = file.st_size;
        const std::string backup = rotation_settings.backup_name.empty()
                                       ? fmt::format("{}.{}", log_path, std::time(nullptr))
                                       : rotation_settings.backup_name;
        // The last line of the old file, as uWSGI's "logsize: N, triggering rotation to X".
        log::info("log size {} bytes: rotating {} to {}", size, log_path, backup);
        if (rename(log_path.c_str(), backup.c_str()) != 0) {
            log::error("cannot rotate the log: rename {} to {}: {}", log_path, backup,
                       std::strerror(errno));
            return false;
        }
        if (const int err = open_onto_stdio(log_path); err != 0) {
            log::error("log rotated to {}, but {} cannot be opened again: {}", backup, log_path,
                       std::strerror(err));
            return false;
        }
        log::info("log rotated: the lines before this one are in {}", backup);
        return true;
    } catch (...) {
        return false;  // out of memory for a file name: the log stays where it is
    }
}

}  // namespace gantry::server
