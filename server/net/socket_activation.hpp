// systemd socket activation (sd_listen_fds(3)): listening sockets systemd bound and passed
// as descriptors 3.. (LISTEN_FDS, for the process LISTEN_PID), each with a name
// (LISTEN_FDNAMES, a .socket's FileDescriptorName=). Gantry uses one in place of binding a
// --socket or --http-socket bound to the same address, so the configuration says what each
// speaks and a unit without its .socket still works; a socket named "uwsgi…" or "http…"
// says it itself, and is served with no option naming it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/net/listen_address.hpp"
#include "server/net/listen_fd_names.hpp"
#include "server/net/listener.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

// A socket systemd passed, with its name: systemd's default is the socket unit's name, and
// "unknown" without LISTEN_FDNAMES.
struct activated_socket {
    unique_fd fd;
    std::string name;
};

// The passed sockets, once, at first start: LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES are
// unset, so that workers, apps and a reload's exec never take them for theirs (a reload
// takes them over by the hand-over, as any listener).
std::vector<activated_socket> take_activated_sockets();

// Whether `fd` is a listening stream socket bound to `address` (":PORT" is the IPv4
// wildcard, as gantry binds it; a host name matches any address it resolves to).
bool bound_to(int fd, const listen_address& address);

// Where the listening stream socket `fd` is bound, for a socket no option names: its text
// is "HOST:PORT", "[V6]:PORT", or the unix path ("@NAME" for an abstract one). Nothing for
// a descriptor that is not a listening TCP or unix stream socket.
std::optional<listen_address> bound_address(int fd);

// The name of a socket served for its name, that a reload's hand-over carries: the protocol
// before the address as a URL scheme ("http://127.0.0.1:8000", "uwsgi:///run/app.sock"),
// read back by protocol_of_adopted().
std::string adopted_name(listener::protocol speaks, std::string_view address_text);
std::optional<listener::protocol> protocol_of_adopted(std::string_view name);

}  // namespace gantry::server
