// Accepts the next uwsgi connection for a request thread. With one listener a blocking
// accept() is all it takes; with several, poll() says which one is ready (they are then
// non-blocking, so a connection another worker took first costs an EAGAIN, not a hang).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <span>
#include <vector>

#include "server/log/log_throttle.hpp"
#include "server/net/listener.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {

class acceptor {
public:
    explicit acceptor(std::span<const listener> listeners);

    // The next connection and the listener it came from; none when the worker is stopping
    // or accepting failed for good (errno says which).
    unique_fd next(sockaddr_storage& peer, const listener*& from);

private:
    std::span<const listener> listeners_;
    std::vector<pollfd> fds_;
    log::throttle out_of_fds_;  // one line a second per thread, however often it happens
};

}  // namespace gantry::server
