#include "server/process/pidfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "server/log/log.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {
namespace {

std::string folder_of(const std::string& path) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

// The pid the file holds; 0 when it is missing, a symlink or not a number.
pid_t pid_in(const std::string& path) {
    const unique_fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    char text[32] = {};
    if (!fd || read(fd.get(), text, sizeof text - 1) <= 0) {
        return 0;
    }
    return static_cast<pid_t>(std::atol(text));
}

// 0, or the errno of the step that failed. The temporary name is made with O_EXCL, so it
// never follows a link either.
int write_atomically(const std::string& path) {
    std::string temp = folder_of(path) + "/.gantry-pid-XXXXXX";
    const unique_fd fd(mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) {
        return errno;
    }
    const std::string text = fmt::format("{}\n", getpid());
    int err = 0;
    if (fchmod(fd.get(), 0644) != 0 ||
        write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        err = errno != 0 ? errno : EIO;
    } else if (rename(temp.c_str(), path.c_str()) != 0) {
        err = errno;
    }
    if (err != 0) {
        unlink(temp.c_str());
    }
    return err;
}

bool is_symlink(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

pidfile::pidfile(std::string path, bool reloaded) : path_(std::move(path)) {
    if (path_.empty() || (reloaded && pid_in(path_) == getpid())) {
        return;
    }
    if (is_symlink(path_)) {
        const std::string why = fmt::format(
            "--pidfile {}: is a symbolic link; refusing to write through it (remove it, or "
            "point --pidfile at the real file)",
            path_);
        if (!reloaded) {
            throw std::runtime_error(why);
        }
        log::error("reload: {}", why);
        path_.clear();
        return;
    }
    if (const int err = write_atomically(path_); err != 0) {
        const std::string why = fmt::format("--pidfile {}: {}", path_, std::strerror(err));
        if (!reloaded) {
            throw std::runtime_error(why);
        }
        log::error("reload: {}", why);
        path_.clear();
    }
}

pidfile::~pidfile() {
    // Another gantry may have taken the path over since: its file is not ours to remove.
    if (path_.empty() || pid_in(path_) != getpid()) {
        return;
    }
    if (unlink(path_.c_str()) != 0) {
        log::warning("--pidfile {}: cannot remove it: {}", path_, std::strerror(errno));
    }
}

void pidfile::warn_if_left_behind() const {
    if (!path_.empty() && access(folder_of(path_).c_str(), W_OK | X_OK) != 0) {
        log::warning(
            "--pidfile {}: its folder is not writable by the user gantry now runs as, so the "
            "file stays behind when gantry stops (the next start replaces it)",
            path_);
    }
}

}  // namespace gantry::server
