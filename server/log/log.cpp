#include "server/log/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

namespace gantry::server::log {
namespace {

std::atomic<level> lowest_level{level::info};

constexpr std::string_view name_of(level l) {
    switch (l) {
        case level::debug:
            return "debug";
        case level::info:
            return "info";
        case level::warning:
            return "warning";
        case level::error:
            return "error";
    }
    return "?";
}

}  // namespace

void set_level(level lowest) {
    lowest_level = lowest;
}

bool enabled(level l) noexcept {
    return l >= lowest_level.load(std::memory_order_relaxed);
}

void write(level l, std::string_view message) noexcept {
    try {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        tm local{};
        localtime_r(&now.tv_sec, &local);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
        const std::string line = fmt::format("[{}.{:03}] [pid {}] {}: {}\n", stamp,
                                             now.tv_nsec / 1000000, getpid(), name_of(l), message);
        std::size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return;  // nowhere left to report a failing log
            }
            done += static_cast<std::size_t>(n);
        }
    } catch (...) {
        // formatting ran out of memory: dropping one log line beats dying
    }
}

}  // namespace gantry::server::log
