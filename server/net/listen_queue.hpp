// How many connections wait in a listening socket's accept queue, and how many may, read
// from the kernel: TCP_INFO for TCP, sock_diag(7) for unix sockets (where uWSGI says 0).
// For the stats and metrics the master serves; cheap enough for every scrape.
#pragma once

#include <cstdint>

namespace gantry::server {

// A listening socket's accept queue as the kernel sees it now.
struct listen_queue {
    bool known = false;       // false: the kernel would not say (then depth/max are 0)
    std::uint32_t depth = 0;  // connections waiting for accept()
    std::uint32_t max = 0;    // the backlog the kernel allows (listen()'s, capped by somaxconn)
};

// Never throws; no allocation on the TCP path. For TCP: getsockopt(TCP_INFO): on a listening
// socket tcpi_unacked is the current accept-queue length and tcpi_sacked the backlog.
// For unix stream sockets: a NETLINK_SOCK_DIAG query (unix_diag_req with UDIAG_SHOW_RQLEN,
// matched by the socket's inode from fstat): udiag_rqueue is the queue length and
// udiag_wqueue the backlog for a listening socket. Anything else (not a socket, not
// listening, a kernel without unix_diag) is not known.
listen_queue read_listen_queue(int fd) noexcept;

}  // namespace gantry::server
