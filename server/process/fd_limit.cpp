#include "server/process/fd_limit.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

#include "server/log/log.hpp"

namespace gantry::server {

void set_open_file_limit(long n) {
    const auto want = static_cast<rlim_t>(n);
    rlimit now{};
    getrlimit(RLIMIT_NOFILE, &now);
    rlimit next{want, want};
    if (setrlimit(RLIMIT_NOFILE, &next) == 0) {
        log::info("max-fd: up to {} open files per process", n);
        return;
    }
    // Not allowed to raise the hard limit: take what it allows.
    next = {std::min(want, now.rlim_max), now.rlim_max};
    setrlimit(RLIMIT_NOFILE, &next);
    log::warning(
        "max-fd {}: the hard limit is {} and only root (or LimitNOFILE= in the systemd unit) "
        "can raise it; using {}",
        n, now.rlim_max, next.rlim_cur);
}

}  // namespace gantry::server
