#include "server/process/systemd_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "server/log/log.hpp"

namespace gantry::server {
namespace {

std::uint64_t monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000U +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000U;
}

// STATUS= is one line of the datagram: a newline in it would start a bogus assignment.
std::string one_line(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\n') {
            c = ' ';
        }
    }
    return out;
}

}  // namespace

systemd_notifier::systemd_notifier(boost::asio::io_context& io) : watchdog_(io) {}

void systemd_notifier::ready(std::string_view status) {
    last_status_ = one_line(status);
    send(fmt::format("READY=1\nMAINPID={}\nSTATUS={}", getpid(), last_status_));
}

void systemd_notifier::reloading(std::string_view status) {
    last_status_ = one_line(status);
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", monotonic_usec(), last_status_));
}

void systemd_notifier::stopping(std::string_view status) {
    last_status_ = one_line(status);
    send(fmt::format("STOPPING=1\nSTATUS={}", last_status_));
}

void systemd_notifier::status(std::string_view status) {
    std::string line = one_line(status);
    if (line == last_status_) {
        return;
    }
    last_status_ = std::move(line);
    send("STATUS=" + last_status_);
}

void systemd_notifier::periodic_status(std::string_view status) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_periodic_ < std::chrono::seconds(1)) {
        return;
    }
    last_periodic_ = now;
    this->status(status);
}

void systemd_notifier::start_watchdog() {
    std::uint64_t usec = 0;
    // Without NOTIFY_SOCKET the pings would go nowhere.
    if (std::getenv("NOTIFY_SOCKET") == nullptr || sd_watchdog_enabled(0, &usec) <= 0 ||
        usec == 0) {
        return;
    }
    watchdog_period_ = std::chrono::microseconds(usec / 2);
    log::info("systemd watchdog: WATCHDOG=1 every {} ms", watchdog_period_.count() / 1000);
    send("WATCHDOG=1");
    arm_watchdog();
}

void systemd_notifier::arm_watchdog() {
    // The timer fires only while the master's loop turns: a stuck master stops the pings
    // and systemd restarts it, which is what the watchdog is for.
    watchdog_.expires_after(watchdog_period_);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        send("WATCHDOG=1");
        arm_watchdog();
    });
}

void systemd_notifier::send(const std::string& message) {
    // 0: NOTIFY_SOCKET is unset (not run by systemd); nothing to say.
    const int r = sd_notify(0, message.c_str());
    if (r < 0 && !warned_) {  // once: the watchdog would repeat it several times a second
        warned_ = true;
        log::warning("sd_notify to NOTIFY_SOCKET failed: {}", std::strerror(-r));
    }
}

}  // namespace gantry::server
