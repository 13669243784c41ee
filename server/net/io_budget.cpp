#include "server/net/io_budget.hpp"

#include <cerrno>

namespace gantry::server {

bool io_budget::ready_in_time(int fd, short events) noexcept {
    for (;;) {
        if (spent()) {
            errno = EAGAIN;
            return false;
        }
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left_).count();
        pollfd p{.fd = fd, .events = events, .revents = 0};
        const clock::time_point started = clock::now();
        const int n = ::poll(&p, 1, static_cast<int>(ms));
        left_ -= clock::now() - started;
        if (n > 0) {
            return true;  // ready, or an error the call itself will report
        }
        if (n == 0 || errno != EINTR) {
            errno = n == 0 ? EAGAIN : errno;
            return false;
        }
    }
}

}  // namespace gantry::server
