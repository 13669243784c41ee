#include "server/options/master_hook.hpp"

#include <signal.h>

#include <stdexcept>
#include <string>

namespace gantry::server {
namespace {

std::string_view trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

constexpr std::string_view advice =
    "only 'unix_signal:2 gracefully_kill_them_all' (SIGINT then stops gracefully, as SIGTERM "
    "does) and 'unix_signal:15 gracefully_kill_them_all' (what SIGTERM does already) are "
    "accepted, as gantry runs no hooks: run commands before it starts with systemd's "
    "ExecStartPre= (or a wrapper script), periodic ones with a cron entry";

}  // namespace

int graceful_stop_signal_of_hook(std::string_view value) {
    const std::string_view v = trimmed(value);
    constexpr std::string_view prefix = "unix_signal:";
    const auto space = v.find_first_of(" \t");
    if (!v.starts_with(prefix) || space == std::string_view::npos ||
        trimmed(v.substr(space)) != "gracefully_kill_them_all") {
        throw std::invalid_argument(std::string(advice));
    }
    const std::string_view number = trimmed(v.substr(prefix.size(), space - prefix.size()));
    if (number == "15") {
        return SIGTERM;
    }
    if (number == "2") {
        return SIGINT;
    }
    throw std::invalid_argument(std::string(advice));
}

}  // namespace gantry::server
