// The names systemd gives passed sockets (LISTEN_FDNAMES, FileDescriptorName=) and what
// gantry reads from them, apart from socket_activation's taking of the descriptors: pure,
// no libsystemd, so that the configuration check (and its fuzzing) can use it.
#pragma once

#include <optional>
#include <string_view>

#include "server/net/listener.hpp"

namespace gantry::server {

// What a passed socket's name says it speaks: "uwsgi" or "uwsgi-…" the uwsgi protocol,
// "http" or "http-…" HTTP (as --http-socket); any other name says nothing.
std::optional<listener::protocol> protocol_named(std::string_view name);

// Whether a listener may come with no --socket or --http-socket: `environment` passes this
// process (LISTEN_PID) a socket named for a protocol, or holds a reload's hand-over (which
// may carry such a socket; the listeners, once opened, tell). Takes nothing: the
// configuration check runs before the listeners are opened, and --check-config never opens
// them.
bool listeners_may_be_passed(char* const* environment);

}  // namespace gantry::server
