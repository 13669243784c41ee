#include "server/log/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "server/log/escape.hpp"

namespace gantry::server::log {
namespace {

settings current;

std::string timestamp() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm local{};
    localtime_r(&now.tv_sec, &local);
    char stamp[128];
    if (!current.date_format.empty()) {
        // --log-date FORMAT: the operator's format, whole (uWSGI's log_strftime).
        const std::size_t n =
            std::strftime(stamp, sizeof stamp, current.date_format.c_str(), &local);
        return std::string(stamp, n);
    }
    const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    return fmt::format("{}.{:03}", std::string_view(stamp, n), now.tv_nsec / 1000000);
}

void emit(std::string_view line) noexcept {
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
}

}  // namespace

void configure(const settings& s) {
    current = s;
}

bool enabled(level l) noexcept {
    return l >= current.lowest;
}

void write(level l, std::string_view message) noexcept {
    try {
        if (current.json) {
            emit(fmt::format("{{\"time\":{},\"pid\":{},\"level\":\"{}\",\"message\":{}}}\n",
                             json_string(timestamp()), getpid(), name_of(l), json_string(message)));
        } else {
            emit(fmt::format("[{}] [pid {}] {}: {}\n", timestamp(), getpid(), name_of(l), message));
        }
    } catch (...) {
        // formatting ran out of memory: dropping one log line beats dying
    }
}

bool requests_enabled() noexcept {
    return current.requests && enabled(level::info);
}

void request(const request_line& r) noexcept {
    if (!enabled(level::info)) {
        return;
    }
    try {
        if (current.json) {
            emit(fmt::format(
                "{{\"time\":{},\"pid\":{},\"level\":\"info\",\"worker\":{},\"remote\":{},"
                "\"method\":{},\"uri\":{},\"status\":{},\"bytes\":{},\"ms\":{:.2f}{}}}\n",
                json_string(timestamp()), getpid(), r.worker, json_string(r.remote),
                json_string(r.method), json_string(r.uri), r.status, r.bytes, r.millis,
                r.static_file ? ",\"static\":true" : ""));
        } else {
            write(level::info,
                  fmt::format("worker {}: {} {} {} => {}, {} bytes in {:.2f} ms{}", r.worker,
                              printable{r.remote}, printable{r.method}, printable{r.uri}, r.status,
                              r.bytes, r.millis, r.static_file ? " (static file)" : ""));
        }
    } catch (...) {
        // as in write()
    }
}

void request_text(std::string& line) noexcept {
    if (!enabled(level::info)) {
        return;
    }
    if (current.json) {
        write(level::info, line);
        return;
    }
    try {
        line += '\n';
    } catch (...) {
        return;  // as in write()
    }
    emit(line);
}

}  // namespace gantry::server::log
