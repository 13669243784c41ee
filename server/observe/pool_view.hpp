// What --stats and --metrics show: the master's picture of its pool at one moment, taken
// from its own bookkeeping, the scoreboard and /proc. Plain values, so that the two
// renderings (uWSGI's JSON, Prometheus's text) need nothing else and can be tested alone.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "server/scoreboard/scoreboard.hpp"

namespace gantry::server {

// A worker's counters over some span: its process's life, or its id's since the master
// started (uWSGI keeps per-worker counts across respawns, not across reloads).
struct worker_counts {
    std::uint64_t requests = 0;
    std::uint64_t exceptions = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t running_us = 0;  // the sum of its requests' durations

    worker_counts& operator+=(const worker_counts& o) noexcept {
        requests += o.requests;
        exceptions += o.exceptions;
        tx_bytes += o.tx_bytes;
        running_us += o.running_us;
        return *this;
    }
};

struct core_view {
    std::uint64_t requests = 0;  // by this thread of the current process
    std::uint64_t static_requests = 0;
    bool in_request = false;
    std::string request;               // "GET /uri" while in a request
    std::int64_t request_started = 0;  // Unix seconds, while in a request
};

// Bytes; 0 where /proc would not say (the process is gone).
struct memory_view {
    std::uint64_t rss = 0;
    std::uint64_t vsz = 0;
    std::uint64_t uss = 0;
    std::uint64_t pss = 0;
};

struct worker_view {
    int id = 0;
    pid_t pid = 0;  // 0: no process has this id now (cheap mode, the adaptive pool)
    // uWSGI's words where it has them (idle, busy, cheap), else gantry's: starting,
    // stopping, retiring (done at --max-requests, replaced as soon as can be).
    std::string status = "cheap";
    bool accepting = false;
    worker_counts life;     // since this process was forked (uWSGI's delta_requests)
    worker_counts overall;  // since the master started, every process of this id
    std::uint64_t harakiri_count = 0;
    std::uint64_t respawn_count = 0;  // processes forked for this id (uWSGI counts the first)
    std::int64_t last_spawn = 0;      // Unix seconds
    memory_view memory;
    std::vector<core_view> cores;
};

struct listener_view {
    std::string name;
    std::string proto;  // "uwsgi" or "http"
    bool queue_known = false;
    std::uint32_t queue = 0;
    std::uint32_t max_queue = 0;
    std::uint64_t queue_full = 0;  // times the master found it full
};

struct cron_view {
    std::string schedule;
    std::string command;
    pid_t pid = 0;                // of the run going on; 0: none
    std::int64_t started_at = 0;  // Unix seconds of the last run; 0: never
};

// Sums over every slot of the scoreboard, for Prometheus's counters.
struct pool_totals {
    std::array<std::uint64_t, 6> by_status{};  // thread_counters::status_class
    std::array<std::uint64_t, 6> static_by_status{};
    std::uint64_t exceptions = 0;
    std::uint64_t tx_bytes = 0;
    std::array<std::uint64_t, latency_buckets> duration{};
    std::uint64_t duration_sum_us = 0;
    std::array<std::uint64_t, latency_buckets> queue_wait{};
    std::uint64_t queue_wait_sum_us = 0;
    std::uint64_t harakiri_kills = 0;
    std::array<std::uint64_t, respawn_causes> respawns{};
};

struct pool_view {
    pid_t master_pid = 0;
    std::string cwd;
    int target = 0;  // workers wanted now
    bool stopping = false;
    bool cheap = false;
    std::vector<worker_view> workers;
    std::vector<listener_view> listeners;
    std::vector<cron_view> crons;
    pool_totals totals;
};

// Adds up every slot's counters and the master's.
pool_totals sum_counters(const scoreboard& board);

// A thread's static file responses.
std::uint64_t static_requests(const thread_counters& c);

// The sum of one slot's thread counters now.
worker_counts slot_counts(const scoreboard& board, int slot);

}  // namespace gantry::server
