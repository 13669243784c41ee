#include "server/open_listeners.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "server/log/log.hpp"
#include "server/net/socket_activation.hpp"
#include "server/process/user_ids.hpp"
#include "server/util/config_error.hpp"

namespace gantry::server {
namespace {

// A backlog above net.core.somaxconn is silently cut by the kernel: say so instead.
int listen_backlog(int wanted) {
    int most = wanted;
    std::ifstream("/proc/sys/net/core/somaxconn") >> most;
    if (wanted > most) {
        log::warning("--listen {} is above net.core.somaxconn ({}); using {}", wanted, most, most);
        return most;
    }
    return wanted;
}

// --chmod-socket and --chown-socket USER[:GROUP] (the group defaults to the user's).
unix_node unix_node_of(const options& o) {
    unix_node node{.mode = o.chmod_socket, .chown_text = o.chown_socket};
    if (o.chown_socket.empty()) {
        return node;
    }
    const auto colon = o.chown_socket.find(':');
    const user_entry user = find_user("--chown-socket", o.chown_socket.substr(0, colon));
    node.owner = user.uid;
    if (colon != std::string::npos) {
        node.group = find_group("--chown-socket", o.chown_socket.substr(colon + 1));
    } else if (user.known) {
        node.group = user.gid;
    }
    return node;
}

const char* protocol_label(listener::protocol p) {
    return p == listener::protocol::http ? "HTTP" : "uwsgi";
}

// The sockets open_listeners() takes instead of binding: the ones a replaced master handed
// over (a reload), or the ones systemd passed (first start). Each is claimed once; what
// nobody claims is closed, with a line saying so, by close_unclaimed().
struct passed_sockets {
    const handover* inherited = nullptr;
    std::vector<unique_fd> handed;  // inherited->listeners' descriptors, in their order
    std::vector<activated_socket> activated;

    explicit passed_sockets(const handover* from) : inherited(from) {
        if (from == nullptr) {
            activated = take_activated_sockets();
            return;
        }
        for (const auto& [name, fd] : from->listeners) {
            handed.emplace_back(fd);
        }
    }
    const std::string& handed_name(std::size_t i) const { return inherited->listeners[i].first; }
    // What a handed-over socket was served as for its systemd name: a reload keeps it so.
    std::optional<listener::protocol> adopted_before(std::size_t i) const {
        const std::string_view name = handed_name(i);
        return handed[i] && name.starts_with(systemd_prefix)
                   ? protocol_of_adopted(name.substr(systemd_prefix.size()))
                   : std::nullopt;
    }
};

// A socket systemd passed that an option names: the option says what it speaks, over what
// the socket's name says (with a warning when they disagree).
void warn_if_named_otherwise(int fd, std::string_view name, std::optional<listener::protocol> named,
                             const listen_address& address, listener::protocol speaks) {
    if (named && *named != speaks) {
        log::warning(
            "socket activation: descriptor {} is named {} ({}), but {} {} names its address: "
            "it speaks {}",
            fd, name, protocol_label(*named), address.option, address.text, protocol_label(speaks));
    }
}

listener systemds(const listen_address& address, listener::protocol speaks, unique_fd fd) {
    listener l(address, speaks, std::move(fd));
    l.set_from_systemd();
    return l;
}

// The passed socket for an option's address, if there is one: a handed-over one by the name
// it had (or, for one served for its systemd name, by its address), else one systemd passed
// bound there.
std::optional<listener> claim_for_option(passed_sockets& p, const listen_address& address,
                                         listener::protocol speaks) {
    for (std::size_t i = 0; i < p.handed.size(); ++i) {
        const std::string& name = p.handed_name(i);
        const auto adopted = p.adopted_before(i);
        if (p.handed[i] && name == address.text) {
            return listener(address, speaks, std::move(p.handed[i]));
        }
        if (p.handed[i] && (name == std::string(systemd_prefix) + address.text ||
                            (adopted && bound_to(p.handed[i].get(), address)))) {
            warn_if_named_otherwise(p.handed[i].get(), name, adopted, address, speaks);
            return systemds(address, speaks, std::move(p.handed[i]));
        }
    }
    for (activated_socket& a : p.activated) {
        if (a.fd && bound_to(a.fd.get(), address)) {
            log::info("{} {}: the socket systemd passed (descriptor {})", address.option,
                      address.text, a.fd.get());
            warn_if_named_otherwise(a.fd.get(), a.name, protocol_named(a.name), address, speaks);
            return systemds(address, speaks, std::move(a.fd));
        }
    }
    return std::nullopt;
}

// The passed sockets no option claimed whose systemd name says what they speak ("uwsgi…",
// "http…"), served so; and after a reload, the ones served so before it.
std::vector<listener> adopt_named(passed_sockets& p) {
    std::vector<listener> out;
    const auto adopt = [&out](unique_fd& fd, listener::protocol speaks, std::string_view how) {
        std::optional<listen_address> address = bound_address(fd.get());
        if (!address) {
            return;  // closed by close_unclaimed(), with a warning
        }
        log::info("socket activation: descriptor {} {}: {} on {}", fd.get(), how,
                  protocol_label(speaks), address->text);
        // The hand-over keeps names only: this one says what the socket speaks.
        address->text = adopted_name(speaks, address->text);
        out.push_back(systemds(*address, speaks, std::move(fd)));
    };
    for (activated_socket& a : p.activated) {
        if (const auto speaks = protocol_named(a.name); a.fd && speaks) {
            adopt(a.fd, *speaks, "named " + a.name);
        }
    }
    for (std::size_t i = 0; i < p.handed.size(); ++i) {
        if (const auto speaks = p.adopted_before(i)) {
            adopt(p.handed[i], *speaks, "kept across the reload");
        }
    }
    return out;
}

// Left open, an unclaimed socket would be inherited by every worker, and its clients would
// wait in a backlog nobody accepts from.
void close_unclaimed(passed_sockets& p) {
    for (activated_socket& a : p.activated) {
        if (a.fd) {
            log::warning(
                "socket activation: descriptor {} from systemd is bound where no --socket or "
                "--http-socket is; closing it (named {}: a name \"uwsgi\" or \"http\" says what "
                "it speaks)",
                a.fd.get(), a.name);
            a.fd.reset();
        }
    }
    for (std::size_t i = 0; i < p.handed.size(); ++i) {
        if (p.handed[i]) {
            log::info("reload: {} is no longer in the configuration; closing it", p.handed_name(i));
            p.handed[i].reset();
        }
    }
}

}  // namespace

// Binds every --socket and --http-socket, or takes over the ones a replaced master bound or
// systemd passed (socket activation); a socket systemd passed named "uwsgi…" or "http…" is
// served as its name says with no option naming it, and kept across reloads.
std::vector<listener> open_listeners(const options& o, const handover* inherited) {
    std::vector<listener> out;
    out.reserve(o.sockets.size() + o.http_sockets.size());
    const int backlog = listen_backlog(o.listen);
    const unix_node node = unix_node_of(o);
    // A cheap master wakes its pool on a pending connection, which a deferred accept would
    // hide until the client's first bytes; a pool that sleeps is not where CPU is saved.
    const bool defer = !o.cheap && o.idle == 0;
    passed_sockets passed(inherited);
    const auto open = [&](const std::string& text, listener::protocol speaks) {
        const listen_address address = parse_listen_address(
            text, speaks == listener::protocol::http ? "--http-socket" : "--socket");
        if (std::optional<listener> l = claim_for_option(passed, address, speaks)) {
            out.push_back(std::move(*l));
            out.back().configure(o.socket_timeout, defer);
        } else {
            out.emplace_back(address, speaks, backlog, o.socket_timeout, node, defer);
        }
    };
    for (const std::string& s : o.sockets) {
        open(s, listener::protocol::uwsgi);
    }
    for (const std::string& s : o.http_sockets) {
        open(s, listener::protocol::http);
    }
    for (listener& l : adopt_named(passed)) {
        out.push_back(std::move(l));
        out.back().configure(o.socket_timeout, defer);
    }
    close_unclaimed(passed);
    if (out.empty()) {  // load_options let it through for a socket that did not come
        throw config_error(
            "no listener: give --socket ADDR (HOST:PORT, :PORT or /path.sock) or --http-socket, "
            "or pass a socket named uwsgi or http (systemd: FileDescriptorName=)");
    }
    return out;
}

}  // namespace gantry::server
