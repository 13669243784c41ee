#include "server/net/peer_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace gantry::server {

std::string peer_address::text() const {
    if (host.empty()) {
        return "unix socket";
    }
    return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

peer_address peer_address_of(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
        inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
        return {host, std::to_string(ntohs(in.sin_port))};
    }
    if (addr.ss_family == AF_INET6) {
        const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
        inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
        return {host, std::to_string(ntohs(in6.sin6_port))};
    }
    return {};
}

}  // namespace gantry::server
