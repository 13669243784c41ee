// systemd socket activation (sd_listen_fds(3)): listening sockets systemd bound and passed
// as descriptors 3.. (LISTEN_FDS, for the process LISTEN_PID). Gantry uses one in place of
// binding a --socket or --http-socket bound to the same address, so the configuration says
// what each speaks and a unit without its .socket still works.
#pragma once

#include <vector>

#include "server/net/listen_address.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

// The passed sockets, once, at first start: LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES are
// unset, so that workers, apps and a reload's exec never take them for theirs (a reload
// takes them over by the hand-over, as any listener).
std::vector<unique_fd> take_activated_sockets();

// Whether `fd` is a listening stream socket bound to `address` (":PORT" is the IPv4
// wildcard, as gantry binds it; a host name matches any address it resolves to).
bool bound_to(int fd, const listen_address& address);

}  // namespace gantry::server
