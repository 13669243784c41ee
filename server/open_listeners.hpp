// The listening sockets of --socket and --http-socket: bound here, or taken over from the
// master a reload replaced, or from systemd (socket activation, by address or by name).
#pragma once

#include <string_view>
#include <vector>

#include "server/master/reexec.hpp"
#include "server/net/listener.hpp"
#include "server/options/options.hpp"

namespace gantry::server {

// The hand-over names a socket systemd passed with this prefix: it stays systemd's across
// reloads (its unix socket file is left behind at exit).
constexpr std::string_view systemd_prefix = "systemd ";

// Binds every --socket and --http-socket, or takes over the ones a replaced master bound or
// systemd passed; throws std::runtime_error (config_error) naming the address and the cause.
std::vector<listener> open_listeners(const options& o, const handover* inherited);

}  // namespace gantry::server
