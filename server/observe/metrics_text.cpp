#include "server/observe/metrics_text.hpp"

#include <fmt/format.h>

#include <iterator>
#include <map>

namespace gantry::server {
namespace {

constexpr std::array<const char*, 6> status_labels = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::array<const char*, respawn_causes> respawn_labels = {
    "died", "harakiri", "max_requests", "max_rss", "max_lifetime", "reload"};

// A label value: backslash, double quote and line feed escaped, as the format asks.
std::string label(std::string_view v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

class text_out {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        line("# HELP {} {}", name, help);
        line("# TYPE {} {}", name, type);
    }
    template <typename... Args>
    void line(fmt::format_string<Args...> f, Args&&... args) {
        fmt::format_to(std::back_inserter(out_), f, std::forward<Args>(args)...);
        out_ += '\n';
    }
    std::string done() { return std::move(out_); }

private:
    std::string out_;
};

void histogram(text_out& t, std::string_view name, std::string_view help,
               const std::array<std::uint64_t, latency_buckets>& counts, std::uint64_t sum_us) {
    t.family(name, "histogram", help);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < latency_bounds_us.size(); ++b) {
        cumulative += counts[b];
        t.line("{}_bucket{{le=\"{}\"}} {}", name, static_cast<double>(latency_bounds_us[b]) / 1e6,
               cumulative);
    }
    cumulative += counts.back();
    t.line("{}_bucket{{le=\"+Inf\"}} {}", name, cumulative);
    t.line("{}_sum {}", name, static_cast<double>(sum_us) / 1e6);
    t.line("{}_count {}", name, cumulative);
}

void request_families(text_out& t, const pool_totals& s) {
    t.family("gantry_requests_total", "counter",
             "Requests served, by status class (none: no status was sent)");
    for (std::size_t i = 0; i < status_labels.size(); ++i) {
        t.line("gantry_requests_total{{status=\"{}\"}} {}", status_labels[i], s.by_status[i]);
    }
    t.family("gantry_static_requests_total", "counter",
             "Requests answered from --static-map, by status class (not in gantry_requests_total)");
    for (std::size_t i = 0; i < status_labels.size(); ++i) {
        t.line("gantry_static_requests_total{{status=\"{}\"}} {}", status_labels[i],
               s.static_by_status[i]);
    }
    t.family("gantry_request_exceptions_total", "counter",
             "Requests during which the application raised");
    t.line("gantry_request_exceptions_total {}", s.exceptions);
    t.family("gantry_response_bytes_total", "counter", "Response bytes sent, head and body");
    t.line("gantry_response_bytes_total {}", s.tx_bytes);
    histogram(t, "gantry_request_duration_seconds",
              "From the request head read to the response sent", s.duration, s.duration_sum_us);
    histogram(t, "gantry_request_queue_wait_seconds",
              "From the front's X-Request-Start to gantry reading the request head", s.queue_wait,
              s.queue_wait_sum_us);
}

void worker_families(text_out& t, const pool_view& v) {
    t.family("gantry_harakiri_kills_total", "counter", "Workers killed by --harakiri");
    t.line("gantry_harakiri_kills_total {}", v.totals.harakiri_kills);
    t.family("gantry_worker_respawns_total", "counter",
             "Workers replaced, by why the one replaced ended");
    for (std::size_t i = 0; i < respawn_labels.size(); ++i) {
        t.line("gantry_worker_respawns_total{{cause=\"{}\"}} {}", respawn_labels[i],
               v.totals.respawns[i]);
    }
    std::map<std::string, int> states = {
        {"starting", 0}, {"idle", 0}, {"busy", 0}, {"retiring", 0}, {"stopping", 0}};
    for (const worker_view& w : v.workers) {
        if (w.pid != 0) {
            ++states[w.status];
        }
    }
    t.family("gantry_workers", "gauge", "Worker processes, by state");
    for (const auto& [state, n] : states) {
        t.line("gantry_workers{{state=\"{}\"}} {}", state, n);
    }
    t.family("gantry_workers_target", "gauge", "Worker processes the pool is kept at now");
    t.line("gantry_workers_target {}", v.target);
    t.family("gantry_worker_resident_memory_bytes", "gauge", "Resident set size per worker");
    for (const worker_view& w : v.workers) {
        if (w.pid != 0) {
            t.line("gantry_worker_resident_memory_bytes{{worker=\"{}\"}} {}", w.id, w.memory.rss);
        }
    }
    t.family("gantry_worker_proportional_memory_bytes", "gauge",
             "Proportional set size per worker: its share of pages shared with others");
    for (const worker_view& w : v.workers) {
        if (w.pid != 0) {
            t.line("gantry_worker_proportional_memory_bytes{{worker=\"{}\"}} {}", w.id,
                   w.memory.pss);
        }
    }
}

void listener_families(text_out& t, const pool_view& v) {
    t.family("gantry_listen_queue", "gauge", "Connections waiting in a listener's accept queue");
    for (const listener_view& l : v.listeners) {
        if (l.queue_known) {
            t.line("gantry_listen_queue{{socket=\"{}\"}} {}", label(l.name), l.queue);
        }
    }
    t.family("gantry_listen_queue_max", "gauge", "The accept queue's length limit (backlog)");
    for (const listener_view& l : v.listeners) {
        if (l.queue_known) {
            t.line("gantry_listen_queue_max{{socket=\"{}\"}} {}", label(l.name), l.max_queue);
        }
    }
    t.family("gantry_listen_queue_full_total", "counter",
             "Times the master found the accept queue full (checked every 250 ms)");
    for (const listener_view& l : v.listeners) {
        t.line("gantry_listen_queue_full_total{{socket=\"{}\"}} {}", label(l.name), l.queue_full);
    }
}

}  // namespace

std::string metrics_text(const pool_view& v) {
    text_out t;
    t.family("gantry_build_info", "gauge", "Always 1; the version is a label");
    t.line("gantry_build_info{{version=\"{}\"}} 1", label(GANTRY_VERSION));
    request_families(t, v.totals);
    worker_families(t, v);
    listener_families(t, v);
    return t.done();
}

}  // namespace gantry::server
