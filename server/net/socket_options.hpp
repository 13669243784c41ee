// Small socket settings shared by the listener and the worker.
#pragma once

#include <cstdint>

namespace gantry::server {

// SO_RCVTIMEO and SO_SNDTIMEO: a blocked read or write fails with EAGAIN after `seconds`.
// Linux copies them from a TCP listener to each accepted socket, not from a unix one.
void set_io_timeout(int fd, int seconds) noexcept;

// TCP_DEFER_ACCEPT on a TCP listener: a connection is handed to accept() only once its
// first bytes have arrived (or after about `seconds`), so a worker wakes once per request
// instead of once in accept() and again in recv(). uWSGI sets it the same way by default.
void defer_accept(int fd, int seconds) noexcept;

// After answering a request whose body was not read: stop writing, then read and drop up
// to `max_bytes` more for at most `seconds`, so that closing does not reset the connection
// (and with it the answer) before the peer has read it. The caller still closes `fd`.
void drain_before_close(int fd, std::uint64_t max_bytes, int seconds) noexcept;

}  // namespace gantry::server
