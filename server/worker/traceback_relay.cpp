#include "server/worker/traceback_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>

#include "server/log/log.hpp"
#include "server/util/unique_fd.hpp"

namespace gantry::server {
namespace {

// A dump is written in many small pieces; a pause this long means it is complete.
constexpr int quiet_ms = 100;

// The pipe's write end, for the life of the worker: faulthandler keeps writing to it from
// its signal handler and never closes it.
unique_fd dump_write_end;

// Owns the read end for as long as it runs (the life of the worker).
void relay(unique_fd read_end, int worker_id) {
    const int fd = read_end.get();
    std::string dump;
    char buf[4096];
    for (;;) {
        pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
        const int ready = poll(&p, 1, dump.empty() ? -1 : quiet_ms);
        if (ready == 0) {
            while (!dump.empty() && dump.back() == '\n') {
                dump.pop_back();
            }
            log::error("worker {}: Python traceback of every thread:\n{}", worker_id, dump);
            dump.clear();
            continue;
        }
        const ssize_t n = ready > 0 ? read(fd, buf, sizeof buf) : 0;
        if (n > 0) {
            dump.append(buf, static_cast<std::size_t>(n));
        }
    }
}

}  // namespace

int start_traceback_relay(int worker_id) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return 2;  // no pipe: dump straight into the log file, unformatted
    }
    unique_fd read_end(fds[0]);
    dump_write_end.reset(fds[1]);
    std::thread(relay, std::move(read_end), worker_id).detach();
    return dump_write_end.get();
}

}  // namespace gantry::server
