#include "server/net/socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sys/time.h>
#include <cerrno>
#include <chrono>
#include <cstdint>

namespace gantry::server {

void set_io_timeout(int fd, int seconds) noexcept {
    const timeval tv{.tv_sec = seconds, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void defer_accept(int fd, int seconds) noexcept {
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds);
}

// Closing with unread request bytes makes the kernel send a reset, which can destroy the
// response before the front has read it (nginx then answers 502). So: no more writes (the
// FIN tells the front the response is complete), then read and drop what is still coming.
void drain_before_close(int fd, std::uint64_t max_bytes, int seconds) noexcept {
    using clock = std::chrono::steady_clock;
    shutdown(fd, SHUT_WR);
    const auto deadline = clock::now() + std::chrono::seconds(seconds);
    set_io_timeout(fd, 1);
    char sink[65536];
    std::uint64_t drained = 0;
    while (drained < max_bytes && clock::now() < deadline) {
        const ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        drained += static_cast<std::uint64_t>(n);
    }
}

}  // namespace gantry::server
