// Small socket settings shared by the listener and the worker.
#pragma once

namespace gantry::server {

// SO_RCVTIMEO and SO_SNDTIMEO: a blocked read or write fails with EAGAIN after `seconds`.
// Linux copies them from a TCP listener to each accepted socket, not from a unix one.
void set_io_timeout(int fd, int seconds) noexcept;

}  // namespace gantry::server
