#include "server/net/listen_fd_names.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace gantry::server {

std::optional<listener::protocol> protocol_named(std::string_view name) {
    const auto is = [name](std::string_view word) {
        return name == word ||
               (name.starts_with(word) && name.substr(word.size()).starts_with('-'));
    };
    if (is("uwsgi")) {
        return listener::protocol::uwsgi;
    }
    if (is("http")) {
        return listener::protocol::http;
    }
    return std::nullopt;
}

bool listeners_may_be_passed(char* const* environment) {
    std::string_view pid;
    std::string_view names;
    bool handover = false;
    for (char* const* e = environment; e != nullptr && *e != nullptr; ++e) {
        const std::string_view var(*e);
        if (var.starts_with("LISTEN_PID=")) {
            pid = var.substr(var.find('=') + 1);
        } else if (var.starts_with("LISTEN_FDNAMES=")) {
            names = var.substr(var.find('=') + 1);
        } else if (var.starts_with("GANTRY_HANDOVER=")) {  // see master/reexec.cpp
            handover = true;
        }
    }
    if (handover) {
        return true;
    }
    long listen_pid = 0;
    const auto [end, ec] = std::from_chars(pid.data(), pid.data() + pid.size(), listen_pid);
    if (ec != std::errc{} || end != pid.data() + pid.size() || listen_pid != getpid()) {
        return false;  // passed to another process (sd_listen_fds(3) checks the same)
    }
    for (std::size_t at = 0; at <= names.size();) {
        const std::size_t colon = std::min(names.find(':', at), names.size());
        if (protocol_named(names.substr(at, colon - at))) {
            return true;
        }
        at = colon + 1;
    }
    return false;
}

}  // namespace gantry::server
