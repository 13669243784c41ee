// systemd's notification protocol (sd_notify(3)) for the master: READY, RELOADING, STOPPING,
// STATUS and the watchdog keep-alive. Every call does nothing when NOTIFY_SOCKET is unset,
// so a gantry not run by systemd pays nothing. Only the master calls these, never a worker
// and never on a request. NOTIFY_SOCKET and WATCHDOG_USEC are left in the environment: the
// master re-executes itself on reload (same pid) and the new image needs them too.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace gantry::server {

class systemd_notifier {
public:
    explicit systemd_notifier(boost::asio::io_context& io);
    systemd_notifier(const systemd_notifier&) = delete;
    systemd_notifier& operator=(const systemd_notifier&) = delete;

    // READY=1 with MAINPID (ours: a reload's exec keeps it) and STATUS.
    void ready(std::string_view status);
    // RELOADING=1 with MONOTONIC_USEC (systemd matches it against its own reload request).
    void reloading(std::string_view status);
    void stopping(std::string_view status);
    // A STATUS= line alone; repeated text is not sent again.
    void status(std::string_view status);
    // The same, at most once a second: for what the master's tick sees change (requests).
    void periodic_status(std::string_view status);
    // Sends WATCHDOG=1 every half WATCHDOG_USEC from the master's io_context while it runs,
    // if systemd asked for a watchdog (sd_watchdog_enabled: WATCHDOG_PID, when set, is ours).
    void start_watchdog();

private:
    void send(const std::string& message);
    void arm_watchdog();

    boost::asio::steady_timer watchdog_;
    std::chrono::microseconds watchdog_period_{0};
    std::string last_status_;
    std::chrono::steady_clock::time_point last_periodic_;
    bool warned_ = false;
};

}  // namespace gantry::server
