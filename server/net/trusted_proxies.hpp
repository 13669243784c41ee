// --forwarded-allow-ips: the peers of the HTTP socket whose X-Forwarded-For and
// X-Forwarded-Proto are believed (a reverse proxy such as nginx in front of gantry), as
// gunicorn's option of that name. Decided once per connection, when it is accepted.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "server/net/peer_address.hpp"

namespace gantry::server {

class trusted_proxies {
public:
    // A comma-separated list of IPv4/IPv6 addresses and networks (10.0.0.0/8, fd00::/8),
    // "unix" for peers on a unix socket, or "*" for every peer; "" trusts nobody.
    // Throws std::invalid_argument naming the element it cannot read.
    static trusted_proxies parse(std::string_view list);

    bool trusts(const peer_address& peer) const noexcept;
    bool trusts_nobody() const noexcept { return !any_ && !unix_ && networks_.empty(); }

private:
    struct network {
        std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d)
        int prefix = 128;
    };
    bool any_ = false;
    bool unix_ = false;
    std::vector<network> networks_;
};

}  // namespace gantry::server
