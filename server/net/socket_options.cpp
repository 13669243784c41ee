#include "server/net/socket_options.hpp"

#include <sys/socket.h>
#include <sys/time.h>

namespace gantry::server {

void set_io_timeout(int fd, int seconds) noexcept {
    const timeval tv{.tv_sec = seconds, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace gantry::server
