// A connected peer's address as text, for the environ and the log.
#pragma once

#include <sys/socket.h>

#include <string>

namespace gantry::server {

struct peer_address {
    std::string host;  // "127.0.0.1", "::1"; empty for a unix socket
    std::string port;  // "54321"; empty for a unix socket

    // "127.0.0.1:54321", "[::1]:54321" or "unix socket".
    std::string text() const;
};

peer_address peer_address_of(const sockaddr_storage& addr);

}  // namespace gantry::server
