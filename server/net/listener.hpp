// A bound, listening socket made by the master and inherited by every worker. The master's
// copy removes its unix socket file when destroyed.
#pragma once

#include <string>

#include "server/net/listen_address.hpp"

namespace gantry::server {

class listener {
public:
    // What the connections accepted on it speak.
    enum class protocol { uwsgi, http };

    // Binds and listens; throws std::runtime_error naming the address and the cause.
    // `io_timeout` seconds become the read/write timeout every accepted connection inherits
    // and, with `defer_accept`, how long a TCP connection may wait for its first bytes
    // before accept() sees it (see socket_options.hpp).
    listener(const listen_address& address, protocol speaks, int backlog, int io_timeout,
             int unix_mode, bool defer_accept);
    // Takes over `fd`, a listener bound by the master this process replaced (a reload);
    // configure() then applies this configuration's timeouts to it.
    listener(const listen_address& address, protocol speaks, int inherited_fd);
    ~listener();
    listener(listener&& other) noexcept;
    listener& operator=(listener&&) = delete;
    listener(const listener&) = delete;

    // The socket options accepted connections inherit, as the constructor sets them.
    void configure(int io_timeout, bool defer_accept) noexcept;

    int fd() const noexcept { return fd_; }
    protocol speaks() const noexcept { return speaks_; }
    const std::string& name() const noexcept { return address_.text; }
    // Whether accepted connections get the listener's timeouts from the kernel (TCP only).
    bool passes_timeouts() const noexcept { return address_.type == listen_address::kind::tcp; }

private:
    listen_address address_;
    protocol speaks_;
    int fd_ = -1;
};

}  // namespace gantry::server
