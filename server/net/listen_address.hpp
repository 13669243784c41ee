// Where a listener binds, as given to --socket: "HOST:PORT", ":PORT" (every interface),
// "[v6addr]:PORT", or a unix socket path (anything containing a '/').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gantry::server {

struct listen_address {
    enum class kind { tcp, unix_path };
    kind type = kind::tcp;
    std::string host;  // empty: every interface
    std::uint16_t port = 0;
    std::string path;
    std::string text;    // as the user wrote it, for messages
    std::string option;  // "--socket" or "--http-socket", for messages
};

// Throws config_error naming the option and the address.
listen_address parse_listen_address(std::string_view text, std::string_view option = "--socket");

}  // namespace gantry::server
