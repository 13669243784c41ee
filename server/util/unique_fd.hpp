// The one owner of a file descriptor: a socket, a listener, an epoll, timer or event fd, a
// memfd, a pipe end. Move-only; closes in its destructor. Every descriptor gantry opens
// lives in one of these from the call that made it, so that no error path, exception or
// hand-over can leak or double-close it. This is the only place that calls ::close().
#pragma once

#include <unistd.h>

#include <utility>

namespace gantry::server {

class unique_fd {
public:
    unique_fd() noexcept = default;
    // Takes `fd` (−1 or any negative value: holds nothing).
    explicit unique_fd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    // Gives the descriptor up without closing it: the caller now owns it.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    // Closes what is held (its error is of no use: Linux frees the descriptor whatever
    // close() returns, and retrying could close another thread's new one), then holds `fd`.
    void reset(int fd = -1) noexcept {
        const int old = std::exchange(fd_, fd < 0 ? -1 : fd);
        if (old >= 0) {
            ::close(old);
        }
    }

private:
    int fd_ = -1;
};

}  // namespace gantry::server
