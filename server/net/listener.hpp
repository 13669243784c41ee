// A bound, listening socket made by the master and inherited by every worker. The master's
// copy removes its unix socket file when destroyed.
#pragma once

#include <sys/types.h>

#include <string>

#include "server/net/listen_address.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

// How a unix socket's file is made: --chmod-socket and --chown-socket.
struct unix_node {
    int mode = 0660;
    uid_t owner = static_cast<uid_t>(-1);  // -1: as bind() made it
    gid_t group = static_cast<gid_t>(-1);
    std::string chown_text;  // the --chown-socket value, for its error message
};

class listener {
public:
    // What the connections accepted on it speak.
    enum class protocol { uwsgi, http };

    // Binds and listens; throws std::runtime_error naming the address and the cause.
    // `io_timeout` seconds become the read/write timeout every accepted connection inherits
    // and, with `defer_accept`, how long a TCP connection may wait for its first bytes
    // before accept() sees it (see socket_options.hpp).
    listener(const listen_address& address, protocol speaks, int backlog, int io_timeout,
             const unix_node& node, bool defer_accept);
    // Takes over `inherited`, a listener bound by the master this process replaced (a
    // reload; take_handover() made it close-on-exec again); configure() then applies this
    // configuration's timeouts to it.
    listener(const listen_address& address, protocol speaks, unique_fd inherited);
    ~listener();
    listener(listener&& other) noexcept = default;
    listener& operator=(listener&&) = delete;
    listener(const listener&) = delete;

    // A socket systemd passed (socket activation): its unix socket file is systemd's, and
    // stays when gantry stops.
    void set_from_systemd() noexcept { from_systemd_ = true; }
    bool from_systemd() const noexcept { return from_systemd_; }

    // The socket options accepted connections inherit, as the constructor sets them.
    void configure(int io_timeout, bool defer_accept) noexcept;

    int fd() const noexcept { return fd_.get(); }
    protocol speaks() const noexcept { return speaks_; }
    const std::string& name() const noexcept { return address_.text; }
    // Whether accepted connections get the listener's timeouts from the kernel (TCP only).
    bool passes_timeouts() const noexcept { return address_.type == listen_address::kind::tcp; }

private:
    listen_address address_;
    protocol speaks_;
    unique_fd fd_;
    bool from_systemd_ = false;
};

}  // namespace gantry::server
