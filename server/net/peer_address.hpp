// A connected peer's address as text, for the environ and the log.
#pragma once

#include <sys/socket.h>

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace gantry::server {

struct peer_address {
    std::string host;  // "127.0.0.1", "::1"; empty for a unix socket
    std::string port;  // "54321"; empty for a unix socket

    // "127.0.0.1:54321", "[::1]:54321" or "unix socket".
    std::string text() const;
};

peer_address peer_address_of(const sockaddr_storage& addr);

// A peer for log messages, turned into text only when a line is actually written: the
// request path formats nothing it does not log.
struct lazy_peer {
    const sockaddr_storage* addr;
};

}  // namespace gantry::server

template <>
struct fmt::formatter<gantry::server::lazy_peer> : fmt::formatter<std::string_view> {
    auto format(const gantry::server::lazy_peer& p, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(
            gantry::server::peer_address_of(*p.addr).text(), ctx);
    }
};
