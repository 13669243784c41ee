#include "server/observe/pool_view.hpp"

namespace gantry::server {
namespace {

std::uint64_t read(const std::atomic<std::uint64_t>& c) {
    return c.load(std::memory_order_relaxed);
}

void add(std::array<std::uint64_t, latency_buckets>& into, std::uint64_t& sum,
         const latency_histogram& h) {
    for (std::size_t b = 0; b < latency_buckets; ++b) {
        into[b] += read(h.counts[b]);
    }
    sum += read(h.sum_us);
}

}  // namespace

pool_totals sum_counters(const scoreboard& board) {
    pool_totals t;
    for (int w = 0; w < board.workers(); ++w) {
        for (int th = 0; th < board.threads(); ++th) {
            const thread_counters& c = board.thread(w, th).counters;
            for (std::size_t s = 0; s < t.by_status.size(); ++s) {
                t.by_status[s] += read(c.by_status[s]);
                t.static_by_status[s] += read(c.static_by_status[s]);
            }
            t.exceptions += read(c.exceptions);
            t.tx_bytes += read(c.tx_bytes);
            add(t.duration, t.duration_sum_us, c.duration);
            add(t.queue_wait, t.queue_wait_sum_us, c.queue_wait);
        }
    }
    const master_counters& m = board.counters();
    t.harakiri_kills = read(m.harakiri_kills);
    for (std::size_t r = 0; r < respawn_causes; ++r) {
        t.respawns[r] = read(m.respawns[r]);
    }
    return t;
}

std::uint64_t static_requests(const thread_counters& c) {
    std::uint64_t n = 0;
    for (const auto& s : c.static_by_status) {
        n += read(s);
    }
    return n;
}

worker_counts slot_counts(const scoreboard& board, int slot) {
    worker_counts n;
    for (int th = 0; th < board.threads(); ++th) {
        const thread_counters& c = board.thread(slot, th).counters;
        n.requests += read(c.requests);
        n.exceptions += read(c.exceptions);
        n.tx_bytes += read(c.tx_bytes);
        n.running_us += read(c.duration.sum_us);
    }
    return n;
}

}  // namespace gantry::server
