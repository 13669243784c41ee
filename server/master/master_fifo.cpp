#include "server/master/master_fifo.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "server/log/log.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

constexpr const char* hand_over_variable = "GANTRY_MASTER_FIFOS";

std::string absolute_of(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

std::string kind_of(mode_t mode) {
    if (S_ISREG(mode)) {
        return "a regular file";
    }
    if (S_ISDIR(mode)) {
        return "a folder";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    return "not a FIFO";
}

void set_close_on_exec(int fd, bool on) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) {
        fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
    }
}

struct handed_fifo {
    int reader = -1;
    int writer = -1;
};

// "READER WRITER PATH" a line, from the master this one replaced; removed from the
// environment so that nothing else inherits it. Only descriptors that are FIFOs are kept.
std::map<std::string, handed_fifo> take_hand_over() {
    std::map<std::string, handed_fifo> out;
    const char* text = std::getenv(hand_over_variable);
    if (text == nullptr) {
        return out;
    }
    std::istringstream lines{std::string(text)};
    unsetenv(hand_over_variable);  // `text` pointed into the environment: copied first
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        handed_fifo h;
        std::string path;
        fields >> h.reader >> h.writer;
        std::getline(fields >> std::ws, path);
        struct stat st {};
        if (!fields.fail() && !path.empty() && fstat(h.reader, &st) == 0 && S_ISFIFO(st.st_mode) &&
            fstat(h.writer, &st) == 0 && S_ISFIFO(st.st_mode)) {
            set_close_on_exec(h.reader, true);
            set_close_on_exec(h.writer, true);
            out[path] = h;
        }
    }
    return out;
}

// True when `path` is still the FIFO `fd` reads: only then is it ours to remove.
bool same_fifo(const std::string& path, ino_t inode, dev_t device) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode) && st.st_ino == inode &&
           st.st_dev == device;
}

unique_fd open_fifo(const std::string& path, int flags) {
    unique_fd fd(open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        throw config_error(
            fmt::format("--master-fifo {}: cannot open: {}", path, std::strerror(errno)));
    }
    return fd;
}

}  // namespace

void check_master_fifos(const std::vector<std::string>& paths) {
    for (const std::string& p : paths) {
        const std::filesystem::path abs = absolute_of(p);
        struct stat st {};
        if (lstat(abs.c_str(), &st) == 0) {
            if (!S_ISFIFO(st.st_mode)) {
                throw config_error(fmt::format(
                    "--master-fifo {}: exists and is {}; gantry makes the FIFO itself and "
                    "replaces only a FIFO",
                    p, kind_of(st.st_mode)));
            }
            continue;
        }
        std::error_code ec;
        if (!std::filesystem::is_directory(abs.parent_path(), ec)) {
            throw config_error(fmt::format("--master-fifo {}: folder {} does not exist", p,
                                           abs.parent_path().string()));
        }
    }
}

master_fifos::master_fifos(boost::asio::io_context& io, const std::vector<std::string>& paths,
                           on_byte fire)
    : io_(io), fire_(std::move(fire)) {
    std::map<std::string, handed_fifo> handed = take_hand_over();
    for (const std::string& p : paths) {
        auto f = std::make_unique<fifo>();
        f->path = absolute_of(p);
        if (auto it = handed.find(f->path); it != handed.end()) {
            f->reader = unique_fd(it->second.reader);
            f->writer = unique_fd(it->second.writer);
            handed.erase(it);
        } else {
            // check_master_fifos() refused this at start-up; after a reload's exec, a path
            // that became something else is left alone (never deleted) and not read.
            struct stat st {};
            if (lstat(f->path.c_str(), &st) == 0 && !S_ISFIFO(st.st_mode)) {
                log::error("--master-fifo {}: exists and is {}; left alone, not read", p,
                           kind_of(st.st_mode));
                continue;
            }
            // As uWSGI does: a FIFO left behind (a master killed outright) is made afresh,
            // so that its owner and mode are ours.
            if (unlink(f->path.c_str()) != 0 && errno != ENOENT) {
                throw config_error(fmt::format("--master-fifo {}: cannot replace it: {}", p,
                                               std::strerror(errno)));
            }
            if (mkfifo(f->path.c_str(), S_IRUSR | S_IWUSR) != 0) {
                throw config_error(
                    fmt::format("--master-fifo {}: cannot make it: {}", p, std::strerror(errno)));
            }
            f->reader = open_fifo(f->path, O_RDONLY);
            f->writer = open_fifo(f->path, O_WRONLY);  // a reader is open: this cannot block
        }
        struct stat st {};
        fstat(f->reader.get(), &st);
        f->inode = st.st_ino;
        f->device = st.st_dev;
        f->watch = std::make_unique<boost::asio::posix::stream_descriptor>(io_, f->reader.get());
        fifos_.push_back(std::move(f));
    }
    // FIFOs the reload dropped from the configuration: closed (unique_fd) and removed.
    for (const auto& [path, h] : handed) {
        struct stat st {};
        if (fstat(h.reader, &st) == 0 && same_fifo(path, st.st_ino, st.st_dev)) {
            unlink(path.c_str());
        }
        unique_fd(h.reader).reset();
        unique_fd(h.writer).reset();
    }
}

master_fifos::~master_fifos() {
    for (auto& f : fifos_) {
        static_cast<void>(f->watch->release());  // the unique_fd owns it
        if (same_fifo(f->path, f->inode, f->device)) {
            unlink(f->path.c_str());
        }
    }
}

void master_fifos::start() {
    for (std::size_t i = 0; i < fifos_.size(); ++i) {
        // What a writer left while the master was exec'ing for a reload comes in now.
        read_bytes(i);
    }
}

void master_fifos::wait_for_bytes(std::size_t index) {
    fifos_[index]->watch->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                                     [this, index](const boost::system::error_code& ec) {
                                         if (!ec) {
                                             read_bytes(index);
                                         }
                                     });
}

void master_fifos::read_bytes(std::size_t index) {
    // One byte a read, as uWSGI reads: a command that execs the master (a reload) leaves
    // the bytes after it in the pipe for the new master.
    for (;;) {
        unsigned char byte = 0;
        const ssize_t n = read(fifos_[index]->reader.get(), &byte, 1);
        if (n == 1) {
            fire_(index, byte);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno != EAGAIN) {
            log::error("master-fifo {}: {}", fifos_[index]->path, std::strerror(errno));
        }
        break;  // EAGAIN; never 0: our own writer keeps the pipe open
    }
    wait_for_bytes(index);
}

void master_fifos::hand_over() const {
    if (fifos_.empty()) {
        return;
    }
    std::string text;
    for (const auto& f : fifos_) {
        text += fmt::format("{} {} {}\n", f->reader.get(), f->writer.get(), f->path);
        set_close_on_exec(f->reader.get(), false);
        set_close_on_exec(f->writer.get(), false);
    }
    setenv(hand_over_variable, text.c_str(), 1);
}

void master_fifos::withdraw_hand_over() const {
    unsetenv(hand_over_variable);
    for (const auto& f : fifos_) {
        set_close_on_exec(f->reader.get(), true);
        set_close_on_exec(f->writer.get(), true);
    }
}

}  // namespace gantry::server
