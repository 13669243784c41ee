#include "server/net/socket_activation.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <fmt/format.h>
#include <charconv>
#include <cstddef>
#include <cstdlib>
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

std::vector<activated_socket> take_activated_sockets() {
    std::vector<activated_socket> out;
    char** names = nullptr;
    const int n = sd_listen_fds_with_names(1, &names);  // 1: unset the variables
    if (n < 0) {
        log::warning("socket activation: LISTEN_FDS: {}", std::strerror(-n));
        return out;
    }
    // The names and their array are libsystemd's, malloc'd for us to free.
    for (int i = 0; i < n; ++i) {
        // sd_listen_fds made them close-on-exec
        out.push_back({unique_fd(SD_LISTEN_FDS_START + i), names[i]});
        std::free(names[i]);
    }
    std::free(static_cast<void*>(names));
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

std::optional<listen_address> bound_address(int fd) {
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
        return std::nullopt;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
        return std::nullopt;
    }
    listen_address a;
    char ip[INET6_ADDRSTRLEN] = {};
    if (bound.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&bound);
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        a.host = ip;
        a.port = ntohs(in->sin_port);
        a.text = fmt::format("{}:{}", a.host, a.port);
    } else if (bound.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&bound);
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        a.host = ip;
        a.port = ntohs(in6->sin6_port);
        a.text = fmt::format("[{}]:{}", a.host, a.port);
    } else if (bound.ss_family == AF_UNIX) {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&bound);
        const std::size_t room = len - offsetof(sockaddr_un, sun_path);
        a.type = listen_address::kind::unix_path;
        a.path = room > 0 && un->sun_path[0] == '\0'
                     ? "@" + std::string(un->sun_path + 1, room - 1)
                     : std::string(un->sun_path, strnlen(un->sun_path, room));
        a.text = a.path;
    } else {
        return std::nullopt;
    }
    a.option = "socket activation";
    return a;
}

std::string adopted_name(listener::protocol speaks, std::string_view address_text) {
    return fmt::format("{}://{}", speaks == listener::protocol::http ? "http" : "uwsgi",
                       address_text);
}

std::optional<listener::protocol> protocol_of_adopted(std::string_view name) {
    const auto scheme = name.find("://");
    return scheme == std::string_view::npos ? std::nullopt : protocol_named(name.substr(0, scheme));
}

}  // namespace gantry::server
