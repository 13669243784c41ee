// The master process: a single-threaded loop that keeps the worker pool full and answers
// signals. Signal handlers only queue; every wake-up runs the same steps (handle signals,
// reap children, stop or top up the pool). It never runs application code on a request.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace gantry::embed {
class interpreter;
}

namespace gantry::server {

struct master_settings {
    int processes = 1;
    std::string listening_on;  // for the "ready" log line
};

class master {
public:
    using clock = std::chrono::steady_clock;
    // What a worker process runs, given its 1-based id; returns its exit code.
    using worker_main = std::function<int(int worker_id)>;

    master(const master_settings& settings, embed::interpreter& python, worker_main main);

    // Runs until the pool is stopped; returns the process exit code.
    int run();

private:
    struct worker_slot {
        int id;
        pid_t pid = 0;
        clock::time_point started;
        clock::time_point respawn_at;
    };

    void wait_for_signal();
    void wait_for_tick();
    void step();
    void handle_signals();
    void reap_workers();
    void spawn_missing();
    void spawn(worker_slot& slot);
    void stop(int signal_to_workers);
    bool any_alive() const;

    master_settings settings_;
    embed::interpreter& python_;
    worker_main worker_main_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer tick_;
    std::deque<int> pending_signals_;
    std::vector<worker_slot> workers_;
    bool stopping_ = false;
    clock::time_point stop_deadline_;
};

}  // namespace gantry::server
