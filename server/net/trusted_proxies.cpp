#include "server/net/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "protocol/ascii.hpp"

namespace gantry::server {
namespace {

// An address in IPv6 form (IPv4 mapped into ::ffff:0:0/96), and whether it was IPv4.
std::optional<std::pair<std::array<unsigned char, 16>, bool>> read_address(
    std::string_view text) noexcept {
    std::array<char, INET6_ADDRSTRLEN> terminated{};  // inet_pton wants a C string
    if (text.size() >= terminated.size()) {
        return std::nullopt;
    }
    std::memcpy(terminated.data(), text.data(), text.size());
    std::array<unsigned char, 16> bytes{};
    in_addr v4{};
    if (inet_pton(AF_INET, terminated.data(), &v4) == 1) {
        bytes[10] = 0xff;
        bytes[11] = 0xff;
        std::memcpy(bytes.data() + 12, &v4, 4);
        return std::pair{bytes, true};
    }
    if (inet_pton(AF_INET6, terminated.data(), bytes.data()) == 1) {
        return std::pair{bytes, false};
    }
    return std::nullopt;
}

bool same_prefix(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                 int bits) noexcept {
    const auto whole = static_cast<std::size_t>(bits / 8);
    if (std::memcmp(a.data(), b.data(), whole) != 0) {
        return false;
    }
    const int rest = bits % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

trusted_proxies trusted_proxies::parse(std::string_view list) {
    trusted_proxies t;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view item = protocol::trim_ows(list.substr(0, comma));
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
        if (item.empty()) {
            continue;
        }
        if (item == "*") {
            t.any_ = true;
            continue;
        }
        if (item == "unix") {
            t.unix_ = true;
            continue;
        }
        const std::size_t slash = item.find('/');
        const auto address = read_address(item.substr(0, slash));
        if (!address) {
            throw std::invalid_argument(fmt::format(
                "'{}' is not an IP address, a network (10.0.0.0/8), 'unix' or '*'", item));
        }
        network n{.bytes = address->first, .prefix = 128};
        if (slash != std::string_view::npos) {
            const std::string_view bits = item.substr(slash + 1);
            const int most = address->second ? 32 : 128;
            int value = -1;
            const auto r = std::from_chars(bits.data(), bits.data() + bits.size(), value);
            if (r.ec != std::errc{} || r.ptr != bits.data() + bits.size() || value < 0 ||
                value > most) {
                throw std::invalid_argument(
                    fmt::format("'{}': the prefix length must be 0 to {}", item, most));
            }
            n.prefix = address->second ? 96 + value : value;
        }
        t.networks_.push_back(n);
    }
    return t;
}

bool trusted_proxies::trusts(const peer_address& peer) const noexcept {
    if (any_) {
        return true;
    }
    if (peer.host.empty()) {
        return unix_;
    }
    if (networks_.empty()) {
        return false;
    }
    const auto address = read_address(peer.host);
    if (!address) {
        return false;
    }
    for (const network& n : networks_) {
        if (same_prefix(n.bytes, address->first, n.prefix)) {
            return true;
        }
    }
    return false;
}

}  // namespace gantry::server
