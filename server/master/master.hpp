// The master process: a single-threaded loop that keeps the worker pool right and answers
// signals. Signal handlers only queue; every wake-up (a signal, a child's exit, a worker's
// ring on the doorbell, the tick) runs the same steps: handle signals, note what workers
// reported, reap children, harakiri, then stop or top up the pool. Only what is truly
// periodic (recycling by RSS and age, cron, idle, cheaper) waits for the tick. It never runs
// application code on a request.
#pragma once

#include <sys/types.h>

#include <bitset>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/cron/cron_runner.hpp"
#include "server/master/cheaper_policy.hpp"
#include "server/master/master_fifo.hpp"
#include "server/master/stop_cause.hpp"
#include "server/master/touch_watch.hpp"
#include "server/observe/observe_server.hpp"
#include "server/observe/pool_view.hpp"
#include "server/process/systemd_notify.hpp"
#include "server/scoreboard/doorbell.hpp"
#include "server/scoreboard/scoreboard.hpp"

namespace gantry::embed {
class interpreter;
}

namespace gantry::server {

struct master_settings {
    int processes = 1;
    std::string listening_on;  // for the "ready" log line
    std::chrono::seconds graceful_timeout{30};
    int harakiri = 0;  // seconds; 0: off
    std::uint64_t max_requests = 0;
    std::uint64_t max_requests_delta = 0;
    std::uint64_t reload_on_rss_mb = 0;
    int max_worker_lifetime = 0;  // seconds
    // Cheap mode and the adaptive pool (0 / false: a fixed pool of `processes`).
    bool cheap = false;
    int idle = 0;     // seconds
    int cheaper = 0;  // the fewest workers
    int cheaper_initial = 0;
    int cheaper_step = 1;
    int cheaper_overload = 3;     // seconds
    std::vector<int> listen_fds;  // watched for a pending connection while cheap
    std::vector<cron_job_spec> cron_jobs;
    std::vector<touch_file> touch_files;    // --touch-reload and friends
    bool graceful_sigint = false;           // SIGINT stops gracefully, as SIGTERM does
    std::vector<std::string> master_fifos;  // --master-fifo paths
    // What --stats and --metrics show of the listeners: name, "uwsgi" or "http", descriptor.
    struct observed_listener {
        std::string name;
        std::string proto;
        int fd = -1;
        bool from_systemd = false;  // systemd's to keep listening: never shut down here
    };
    std::vector<observed_listener> listeners;
    // The listening sockets of --stats and --metrics (-1: not asked for); the caller's.
    int stats_fd = -1;
    std::string stats_address;
    bool stats_http = false;
    bool stats_cores = true;
    int metrics_fd = -1;
    std::string metrics_address;
};

// A worker process the master knows: its own, or one inherited from the master it replaced.
struct worker_process {
    pid_t pid = 0;
    int id = 0;    // 1..processes, as the logs name it
    int slot = 0;  // scoreboard slot
    std::uint32_t generation = 0;
    std::uint64_t max_requests = 0;  // its own --max-requests, jitter included; 0: none
    // Set once it was asked to stop; a reload hands a stopping worker over too, so that the
    // new master reaps it, keeps its slot taken and still kills it at its deadline (the
    // monotonic clock is the same across the exec).
    stop_cause stopping = stop_cause::none;
    std::chrono::steady_clock::time_point kill_at = std::chrono::steady_clock::time_point::max();
};

class master {
public:
    using clock = std::chrono::steady_clock;
    // What a new worker process runs; returns its exit code. Empty when the master has no
    // application to give workers (a reload whose import failed): then none are spawned.
    using worker_main = std::function<int(const worker_process&)>;
    // Replaces this process with a fresh master (reload); returns only if exec failed.
    using reexec = std::function<void(const std::vector<worker_process>& workers, bool chain)>;

    // Workers ring `bell` (inherited across the fork) to wake the master at once.
    master(const master_settings& settings, embed::interpreter& python, scoreboard& board,
           const doorbell& bell, worker_main main, reexec replace_self);
    ~master();
    master(const master&) = delete;
    master& operator=(const master&) = delete;

    // Workers of the master this one replaced: they keep serving until the new ones are up,
    // then they are stopped all at once, or one by one for a `chain` reload.
    void adopt(const std::vector<worker_process>& workers, bool chain);

    // Runs until the pool is stopped; returns the process exit code: 0, or the code a worker
    // that could never start exited with (see exit_policy.hpp).
    int run();

    // Rotates the --logto file now, as uWSGI does by size or on touch-logrotate: renames it
    // (--log-backupname, else FILE.<unix time>), opens a new one and has every worker reopen
    // it (SIGUSR1). Does nothing but log a warning without --logto. `why` is for the log.
    void rotate_logs(std::string_view why);

private:
    struct worker : worker_process {
        clock::time_point started;
        std::int64_t started_unix = 0;  // seconds, for --stats
        std::string stop_note;          // why it was asked to stop, in words, for the log
        // Its slot's counters when it was forked (or adopted): its own are the difference.
        worker_counts baseline;
        struct thread_base {
            std::uint64_t requests = 0;
            std::uint64_t static_requests = 0;
        };
        std::vector<thread_base> thread_baseline;

        bool live() const noexcept { return stopping == stop_cause::none; }
    };

    void wait_for_signal();
    void wait_for_tick();
    void wait_for_doorbell();
    void step(bool tick);
    // One handler per signal, as gunicorn's arbiter has.
    void handle_signal(int sig);
    void on_stop(int sig);
    void on_grow(std::string_view why);
    void on_shrink(std::string_view why);
    void on_reopen_logs(std::string_view why);
    void tell_workers_to_reopen_logs();
    // A touch file changed (see touch_watch): what its option says, as the signal would.
    void on_touch(touch_action action, const std::string& path);
    // A byte written to the `index`th --master-fifo: uWSGI's command for it (fifo_command).
    void on_fifo(std::size_t index, unsigned char byte);
    // uWSGI's `0`-`9`: there only the active FIFO exists; here every FIFO is read anyway.
    void select_fifo(std::string_view who, std::size_t n);
    // New workers forked from this master (its app as it is), the old ones stopped once
    // they are up: uWSGI's touch-workers-reload.
    void begin_workers_reload(std::string_view why);
    void note_worker_states();
    void reap_workers();
    void on_exit(const worker& w, int status, bool was_ready);
    void halt(const worker& w, int status, int code);
    void abandon_reload(const worker& w, int status);
    void check_harakiri();
    void check_recycling();
    void manage_pool();
    void spawn(int id);
    // Sends `sig`; SIGKILL follows if the worker is still there after `grace`. The first
    // cause given is kept (harakiri overrides any).
    void stop_worker(worker& w, int sig, stop_cause cause, const std::string& note,
                     std::chrono::seconds grace);
    void kill_overdue();
    // `how` starts the log lines: "SIGHUP: reload", "touch-reload /x: reload".
    void begin_reload(bool chain, std::string_view how);
    // Cheap mode: no workers; the listeners are watched and the first pending connection
    // brings the pool back (it is then accepted by a worker, not dropped).
    void enter_cheap(const std::string& why);
    void wake_from_cheap();
    void check_idle();
    void check_cheaper();
    int initial_workers() const;
    void begin_stop(int signal_to_workers, std::chrono::seconds timeout);
    void refuse_new_connections();
    bool all_ready(std::uint32_t generation) const;
    // Workers may retire at --max-requests only while a replacement can be forked.
    void set_replaceable(bool can);
    worker* find_live(int id, std::uint32_t generation);
    int free_slot() const;
    std::string serving(const worker& w) const;
    // systemd's STATUS= line between the READY/RELOADING/STOPPING events: workers, requests.
    void report_status();
    // --stats and --metrics (master_observe.cpp).
    void start_observers();
    pool_view view() const;
    worker_view view_of(int id) const;
    observe_reply answer_metrics(std::string_view path) const;
    bool any_accepting() const;
    // Counts each listener whose accept queue is full now (uWSGI's listen_queue_errors).
    void sample_listen_queues();
    // What a worker's slot did since `w` was forked, for its id's history.
    worker_counts life_of(const worker& w) const;
    void note_spawn(worker& w);
    void note_end(const worker& w);

    master_settings settings_;
    embed::interpreter& python_;
    scoreboard& board_;
    const doorbell& bell_;
    worker_main worker_main_;
    reexec reexec_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer tick_;
    boost::asio::posix::stream_descriptor bell_watch_;
    std::deque<int> pending_signals_;
    std::deque<std::pair<touch_action, std::string>> pending_touches_;
    std::vector<worker> workers_;
    int target_;                              // workers wanted in the current generation
    std::uint32_t generation_ = 1;            // the generation the pool is kept at
    std::uint32_t last_generation_ = 1;       // the newest ever started: numbers are never reused
    std::uint32_t announced_generation_ = 0;  // the last generation logged as ready
    // The newest generation of which a worker was seen ready: its app imports and serves.
    std::uint32_t newest_ready_generation_ = 0;
    bool chain_reload_ = false;
    std::map<int, int> quick_deaths_;  // per worker id, for the respawn backoff
    std::map<int, clock::time_point> respawn_at_;
    bool stopping_ = false;
    int exit_code_ = 0;
    std::minstd_rand random_;
    bool cheap_ = false;
    std::vector<std::unique_ptr<boost::asio::posix::stream_descriptor>> watchers_;
    std::uint64_t seen_requests_ = 0;
    clock::time_point last_activity_;
    cheaper_state cheaper_state_;
    cron_runner cron_;
    touch_watch touches_;
    systemd_notifier systemd_;  // after io_: its watchdog timer runs there
    master_fifos fifos_;
    std::size_t active_fifo_ = 0;          // uWSGI's `0`-`9`: only named in the log here
    std::bitset<256> unknown_fifo_bytes_;  // each unknown byte is logged once
    // Per worker id since this master started, as uWSGI keeps them: what its ended
    // processes did, how many were forked, how many harakiri killed.
    struct id_history {
        worker_counts ended;
        std::uint64_t spawns = 0;
        std::uint64_t harakiri = 0;
    };
    std::map<int, id_history> history_;
    std::vector<std::unique_ptr<observe_server>> observers_;
};

}  // namespace gantry::server
