// The scoreboard: one shared memory mapping, made before the first fork, with a header for
// the master's own counters, a slot per worker and, inside it, one per request thread. Each
// field is its own atomic: a worker writes only its own slot, the master reads them all
// (harakiri, recycling, logs, --stats, --metrics). The mapping lives in a memfd, so that a
// re-executed master (reload) can map it again: the counters outlive reloads.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/util/unique_fd.hpp"

namespace gantry::server {

// Milliseconds on CLOCK_MONOTONIC: the same clock in every process of the machine.
std::int64_t monotonic_ms() noexcept;

// The upper bounds, in microseconds, of the latency histograms' buckets (request duration,
// queue wait): Prometheus's usual ones, 1 ms to 10 s; one more bucket holds what is slower.
inline constexpr std::array<std::int64_t, 13> latency_bounds_us = {
    1'000,   2'500,   5'000,     10'000,    25'000,    50'000,    100'000,
    250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
inline constexpr std::size_t latency_buckets = latency_bounds_us.size() + 1;

// The index of the bucket `us` falls in.
std::size_t latency_bucket(std::int64_t us) noexcept;

// Counts in microseconds per bucket (not cumulative), and their sum.
struct latency_histogram {
    std::array<std::atomic<std::uint64_t>, latency_buckets> counts;
    std::atomic<std::uint64_t> sum_us;
};

// A request thread's counters since the scoreboard was made: never reset, so that their sum
// over every slot only grows, across respawns and reloads (Prometheus counters). A worker's
// own figures (uWSGI's per-worker stats) are these less what they were when it was forked.
// Written by that one thread only (a load and a store, no locked instruction).
struct thread_counters {
    enum status_class : std::size_t { none = 0, informational, success, redirect, client, server };
    std::atomic<std::uint64_t> requests;
    std::array<std::atomic<std::uint64_t>, 6> by_status;  // indexed by status_class
    std::atomic<std::uint64_t> exceptions;                // the app raised
    // Answered from --static-map on the I/O side, by status class: not in `requests`,
    // `by_status` or the histograms, which are the app's.
    std::array<std::atomic<std::uint64_t>, 6> static_by_status;
    std::atomic<std::uint64_t> tx_bytes;  // head and body sent
    latency_histogram duration;           // head read to response sent
    latency_histogram queue_wait;         // the front's X-Request-Start to the head read

    static status_class class_of(int status) noexcept {
        return status >= 100 && status < 600 ? static_cast<status_class>(status / 100) : none;
    }
};

struct thread_slot {
    std::atomic<std::int64_t> request_started_ms;  // 0 while idle
    std::atomic<std::uint32_t> request_len;
    char request[116];  // "GET /uri", for harakiri and crash logs; may be torn, never unsafe
    thread_counters counters;

    void begin(std::string_view method, std::string_view uri) noexcept;
    void end() noexcept { request_started_ms.store(0, std::memory_order_release); }
    std::string current_request() const;
};

// Only what has a reader: the master keeps a worker's pid, id, generation and age itself.
struct worker_slot {
    // retiring: the worker has served its --max-requests and takes no more (it rings the
    // doorbell so that the master forks its replacement at once).
    enum state : int { free = 0, starting, ready, retiring };
    std::atomic<int> status;              // a `state`: written by the worker, reset by the master
    std::atomic<std::uint64_t> requests;  // served: --max-requests, --idle, the recycle log
    // Set by the master: it can fork this worker's replacement, so the worker may retire at
    // its --max-requests. Cleared while it cannot (a reload whose code does not import):
    // the worker then serves on past its limit rather than leave the pool empty.
    std::atomic<bool> replaceable;
};

// Why a worker that ended was replaced, as gantry_worker_respawns_total counts it.
enum class respawn_cause : std::size_t {
    died = 0,
    harakiri,
    max_requests,
    max_rss,
    max_lifetime,
    reload
};
inline constexpr std::size_t respawn_causes = 6;
// The most listeners whose full accept queues the master counts (--socket and --http-socket).
inline constexpr std::size_t counted_listeners = 16;

// The master's own counters, kept here so that a reload's new master goes on from them.
struct master_counters {
    std::atomic<std::uint64_t> harakiri_kills;
    std::array<std::atomic<std::uint64_t>, respawn_causes> respawns;  // by respawn_cause
    // Times the master found a listener's accept queue full (uWSGI's listen_queue_errors).
    std::array<std::atomic<std::uint64_t>, counted_listeners> listen_queue_full;

    void count(std::atomic<std::uint64_t>& c) noexcept {
        c.fetch_add(1, std::memory_order_relaxed);
    }
};

class scoreboard {
public:
    // A new mapping for `workers` worker slots of `threads` thread slots each.
    scoreboard(int workers, int threads);
    // Maps an existing scoreboard (inherited across a re-exec) from its descriptor, which it
    // owns from here on. Throws if it was laid out otherwise (a gantry of another version
    // made it): the caller then makes a fresh one.
    scoreboard(unique_fd inherited, int workers, int threads);
    ~scoreboard();
    scoreboard(const scoreboard&) = delete;
    scoreboard& operator=(const scoreboard&) = delete;

    int workers() const noexcept { return workers_; }
    int threads() const noexcept { return threads_; }
    // Handed over across a re-exec (see reexec.hpp); the scoreboard keeps owning it.
    int fd() const noexcept { return fd_.get(); }

    master_counters& counters() const noexcept;
    worker_slot& worker(int index) const noexcept;
    thread_slot& thread(int worker_index, int thread_index) const noexcept;
    // The worker's busiest thread: the earliest request start among them (0: all idle).
    std::int64_t oldest_request_ms(int worker_index, int* thread_index) const noexcept;

private:
    struct header;
    std::size_t header_size() const noexcept;
    std::size_t stride() const noexcept;
    void map(bool fresh);

    int workers_;
    int threads_;
    unique_fd fd_;  // the memfd: a throwing constructor closes it too
    std::byte* base_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace gantry::server
