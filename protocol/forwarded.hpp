// What a reverse proxy in front of the HTTP socket says of the client in X-Forwarded-For and
// X-Forwarded-Proto, read with no I/O. Whether the peer is trusted to say it is the server's
// business (server/net/trusted_proxies).
#pragma once

#include <optional>
#include <string_view>

namespace gantry::protocol {

// The address the nearest proxy saw: the last element of X-Forwarded-For (nginx's
// $proxy_add_x_forwarded_for appends $remote_addr to what the client sent, so earlier
// elements are the client's word, not the proxy's). Nothing unless that element, OWS
// trimmed, is an IPv4 address or an IPv6 address with no brackets or zone.
std::optional<std::string_view> forwarded_client(std::string_view x_forwarded_for) noexcept;

enum class forwarded_scheme { unknown, http, https };

// X-Forwarded-Proto: "https" or "http" (case-insensitive, OWS trimmed; the last element
// when a chain of proxies wrote a list); anything else is unknown.
forwarded_scheme forwarded_proto(std::string_view value) noexcept;

}  // namespace gantry::protocol
