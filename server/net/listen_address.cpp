#include "server/net/listen_address.hpp"

#include <fmt/format.h>
#include <charconv>

#include "server/util/config_error.hpp"

namespace gantry::server {

listen_address parse_listen_address(std::string_view text, std::string_view option) {
    listen_address a;
    a.text = std::string(text);
    a.option = std::string(option);
    if (text.find('/') != std::string_view::npos) {
        a.type = listen_address::kind::unix_path;
        a.path = a.text;
        return a;
    }
    const auto colon = text.rfind(':');
    const auto fail = [&](std::string_view why) {
        return config_error(
            fmt::format("{} {}: {} (want HOST:PORT, :PORT or /path.sock)", option, text, why));
    };
    if (colon == std::string_view::npos) {
        throw fail("no port");
    }
    std::string_view host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string_view port = text.substr(colon + 1);
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value == 0 ||
        value > 65535) {
        throw fail("bad port");
    }
    a.host = std::string(host);
    a.port = static_cast<std::uint16_t>(value);
    return a;
}

}  // namespace gantry::server
