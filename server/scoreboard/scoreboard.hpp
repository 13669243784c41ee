// The scoreboard: one shared memory mapping, made before the first fork, with a slot per
// worker and, inside it, one per request thread. Each field is its own atomic: a worker
// writes only its own slot, the master reads them all (harakiri, recycling, logs). The
// mapping lives in a memfd, so that a re-executed master (reload) can map it again.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/util/unique_fd.hpp"

namespace gantry::server {

// Milliseconds on CLOCK_MONOTONIC: the same clock in every process of the machine.
std::int64_t monotonic_ms() noexcept;

struct thread_slot {
    std::atomic<std::int64_t> request_started_ms;  // 0 while idle
    std::atomic<std::uint32_t> request_len;
    char request[116];  // "GET /uri", for harakiri and crash logs; may be torn, never unsafe

    void begin(std::string_view method, std::string_view uri) noexcept;
    void end() noexcept { request_started_ms.store(0, std::memory_order_release); }
    std::string current_request() const;
};

// Only what has a reader: the master keeps a worker's pid, id, generation and age itself.
// A field for --stats or /metrics comes with the code that reads it.
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

class scoreboard {
public:
    // A new mapping for `workers` worker slots of `threads` thread slots each.
    scoreboard(int workers, int threads);
    // Maps an existing scoreboard (inherited across a re-exec) from its descriptor, which it
    // owns from here on.
    scoreboard(unique_fd inherited, int workers, int threads);
    ~scoreboard();
    scoreboard(const scoreboard&) = delete;
    scoreboard& operator=(const scoreboard&) = delete;

    int workers() const noexcept { return workers_; }
    int threads() const noexcept { return threads_; }
    // Handed over across a re-exec (see reexec.hpp); the scoreboard keeps owning it.
    int fd() const noexcept { return fd_.get(); }

    worker_slot& worker(int index) const noexcept;
    thread_slot& thread(int worker_index, int thread_index) const noexcept;
    // The worker's busiest thread: the earliest request start among them (0: all idle).
    std::int64_t oldest_request_ms(int worker_index, int* thread_index) const noexcept;

private:
    std::size_t stride() const noexcept;
    void map(bool fresh);

    int workers_;
    int threads_;
    unique_fd fd_;  // the memfd: a throwing constructor closes it too
    std::byte* base_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace gantry::server
