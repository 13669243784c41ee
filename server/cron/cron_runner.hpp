// Runs the --cron entries from the master: shell commands (Boost.Process; their output goes
// to gantry's log) and Python callables (in a task process forked from the master, so a
// preloaded app is already imported). An entry never overlaps itself: one still running
// when it is due again is skipped and logged, and a missed minute is logged, not replayed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace gantry::embed {
class interpreter;
}

namespace gantry::server {

struct cron_job_spec {
    std::string name;                     // for the log: the command or the callable
    std::string schedule;                 // as cron_schedule::parse takes it
    std::string command;                  // a /bin/sh command line, or
    std::function<std::string()> python;  // a Python call: returns "" or the traceback
    int timeout = 0;                      // seconds; an overrunning run is killed; 0: none
};

// An entry as --stats shows it.
struct cron_status {
    std::string schedule;
    std::string name;
    int pid = 0;                  // of the run going on; 0: none
    std::int64_t started_at = 0;  // Unix seconds of the last run's start; 0: none yet
};

class cron_runner {
public:
    // Throws schedule_error for a bad schedule (checked again here for decorator entries).
    cron_runner(boost::asio::io_context& io, embed::interpreter& python,
                const std::vector<cron_job_spec>& jobs);
    ~cron_runner();

    // Starts what is due, reaps what finished, kills what overran. Called on the master's tick.
    void tick(std::chrono::system_clock::time_point now);
    // Gantry is stopping: whatever still runs is killed.
    void stop_all();
    std::vector<cron_status> status() const;

private:
    struct job;
    void start(job& j);
    void check_running(job& j, std::chrono::steady_clock::time_point now);

    boost::asio::io_context& io_;
    embed::interpreter& python_;
    std::vector<std::unique_ptr<job>> jobs_;
    long long last_minute_ = -1;
};

}  // namespace gantry::server
