#include "server/net/socket_activation.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <string>

#include "server/log/log.hpp"

namespace gantry::server {
namespace {

bool same_ip(const sockaddr_storage& a, const sockaddr* b) {
    if (a.ss_family != b->sa_family) {
        return false;
    }
    if (a.ss_family == AF_INET) {
        const auto* x = reinterpret_cast<const sockaddr_in*>(&a);
        const auto* y = reinterpret_cast<const sockaddr_in*>(b);
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        const auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
        const auto* y = reinterpret_cast<const sockaddr_in6*>(b);
        return x->sin6_port == y->sin6_port &&
               std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return false;
}

}  // namespace

std::vector<unique_fd> take_activated_sockets() {
    std::vector<unique_fd> out;
    const int n = sd_listen_fds(1);  // 1: unset the variables
    if (n < 0) {
        log::warning("socket activation: LISTEN_FDS: {}", std::strerror(-n));
        return out;
    }
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
        out.emplace_back(fd);  // sd_listen_fds made them close-on-exec
    }
    return out;
}

bool bound_to(int fd, const listen_address& address) {
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
        return false;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
        return false;
    }
    if (address.type == listen_address::kind::unix_path) {
        const auto* sun = reinterpret_cast<const sockaddr_un*>(&bound);
        return bound.ss_family == AF_UNIX && address.path == sun->sun_path;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
    const std::string port = std::to_string(address.port);
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) {
        return false;
    }
    bool match = false;
    for (addrinfo* ai = found; ai != nullptr && !match; ai = ai->ai_next) {
        match = same_ip(bound, ai->ai_addr);
    }
    freeaddrinfo(found);
    return match;
}

}  // namespace gantry::server
