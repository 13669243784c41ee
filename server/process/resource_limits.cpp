#include "server/process/resource_limits.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

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

void set_address_space_limit(long megabytes) {
    const rlim_t bytes = static_cast<rlim_t>(megabytes) << 20;
    const rlimit limit{bytes, bytes};
    if (setrlimit(RLIMIT_AS, &limit) == 0) {
        log::info("limit-as: each process may map up to {} MB", megabytes);
    } else {
        log::warning("limit-as {} MB: cannot set it ({}); the limit is unchanged", megabytes,
                     std::strerror(errno));
    }
}

}  // namespace gantry::server
