#include "server/observe/observe_sockets.hpp"

#include "server/log/log.hpp"
#include "server/options/options.hpp"

namespace gantry::server {
namespace {

// Few lookers at once: a scraper, uwsgitop, a probe.
constexpr int observe_backlog = 64;

std::string name_of(std::string_view option, const std::string& address) {
    return fmt::format("{} {}", option, address);
}

std::optional<listener> open_one(std::string_view option, const std::string& address,
                                 named_fds& handed) {
    if (address.empty()) {
        return std::nullopt;
    }
    const std::string name = name_of(option, address);
    const listen_address where = parse_listen_address(address, fmt::format("--{}", option));
    for (auto& [handed_name, fd] : handed) {
        if (fd >= 0 && handed_name == name) {
            std::optional<listener> l(std::in_place, where, listener::protocol::http,
                                      unique_fd(fd));
            fd = -1;
            return l;
        }
    }
    // Its unix socket is the master's alone (0600): what it tells is not for every user.
    return std::optional<listener>(std::in_place, where, listener::protocol::http, observe_backlog,
                                   0, unix_node{.mode = 0600, .chown_text = {}}, false);
}

}  // namespace

named_fds observe_sockets::named() const {
    named_fds out;
    if (stats) {
        out.emplace_back(name_of("stats", stats->name()), stats->fd());
    }
    if (metrics) {
        out.emplace_back(name_of("metrics", metrics->name()), metrics->fd());
    }
    return out;
}

observe_sockets open_observe_sockets(const options& o, named_fds handed) {
    observe_sockets out{.stats = open_one("stats", o.stats, handed),
                        .metrics = open_one("metrics", o.metrics, handed)};
    for (const auto& [name, fd] : handed) {
        if (fd >= 0) {
            log::info("reload: {} is no longer in the configuration; closing it", name);
            unique_fd closing(fd);
        }
    }
    return out;
}

}  // namespace gantry::server
