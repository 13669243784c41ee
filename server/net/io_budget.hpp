// How long a client may keep a request thread waiting on one transfer (a uwsgi head, a
// request body, a response). Two limits hold together: one stall (no byte moved for
// --socket-timeout, enforced by the kernel's SO_RCVTIMEO/SO_SNDTIMEO on the socket) and a total
// for the transfer, so that a client moving one byte just before each stall limit still runs
// out of time. Only time spent blocked in the socket call is charged: an app that reads its
// body slowly, or a generator that takes its time, spends none of the client's budget.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <system_error>

namespace gantry::server {

// The deadlines a worker enforces on its connections (README, "Limits and timeouts").
struct io_timeouts {
    std::chrono::seconds stall{4};    // --socket-timeout: one read or write without progress
    std::chrono::seconds header{10};  // --http-header-timeout: a request head, from its first byte
    std::chrono::seconds body{60};    // --body-timeout: waiting for the whole request body
    std::chrono::seconds send{60};    // --send-timeout: waiting for a client to take a response
};

class io_budget {
public:
    using clock = std::chrono::steady_clock;

    io_budget(std::chrono::seconds total, std::chrono::seconds stall) noexcept
        : left_(total), stall_(stall) {}

    // Runs `call`, a blocking recv/send-like call on `fd` that returns ssize_t, and charges
    // the time it blocked. When less than one stall is left, first waits for `events` (POLLIN
    // or POLLOUT) for what is left only, so the total is kept to the millisecond. -1 with
    // errno EAGAIN when the budget is spent.
    template <typename Call>
    ssize_t run(int fd, short events, Call call) noexcept {
        if (left_ < stall_ && !ready_in_time(fd, events)) {
            return -1;
        }
        const clock::time_point started = clock::now();
        const ssize_t n = call();
        left_ -= clock::now() - started;
        return n;
    }

    bool spent() const noexcept { return left_ <= clock::duration::zero(); }

private:
    bool ready_in_time(int fd, short events) noexcept;

    clock::duration left_;
    clock::duration stall_;
};

}  // namespace gantry::server
