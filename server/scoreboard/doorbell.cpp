#include "server/scoreboard/doorbell.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace gantry::server {

// Non-blocking: a ring adds to the counter and returns; close-on-exec: a cron command or a
// re-executed master has no business with it (a new master makes its own).
doorbell::doorbell() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!fd_) {
        throw std::system_error(errno, std::generic_category(), "doorbell: eventfd");
    }
}

void doorbell::ring() const noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(fd_.get(), &one, sizeof one);
}

void doorbell::clear() const noexcept {
    std::uint64_t rings = 0;
    [[maybe_unused]] const ssize_t n = read(fd_.get(), &rings, sizeof rings);
}

}  // namespace gantry::server
