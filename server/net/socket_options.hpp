// Small socket settings shared by the listener and the worker.
#pragma once

namespace gantry::server {

// SO_RCVTIMEO and SO_SNDTIMEO: a blocked read or write fails with EAGAIN after `seconds`.
// Linux copies them from a TCP listener to each accepted socket, not from a unix one.
void set_io_timeout(int fd, int seconds) noexcept;

// TCP_DEFER_ACCEPT on a TCP listener: a connection is handed to accept() only once its
// first bytes have arrived (or after about `seconds`), so a worker wakes once per request
// instead of once in accept() and again in recv(). uWSGI sets it the same way by default.
void defer_accept(int fd, int seconds) noexcept;

// SO_LINGER with a zero timeout: closing `fd` resets the connection and drops what is still
// queued for the peer. For a client that would not take its response within the deadlines:
// a plain close would leave the kernel sending the queue (megabytes) at the client's pace.
void reset_on_close(int fd) noexcept;

}  // namespace gantry::server
