#include "server/observe/stats_json.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>

#include "server/log/escape.hpp"

namespace gantry::server {
namespace {

// Appends `"key":value,` pieces; the caller closes objects and lists, trimming the comma.
class json_out {
public:
    void key(std::string_view k) {
        out_ += log::json_string(k);
        out_ += ':';
    }
    void num(std::string_view k, std::uint64_t v) {
        key(k);
        fmt::format_to(std::back_inserter(out_), "{},", v);
    }
    void signed_num(std::string_view k, std::int64_t v) {
        key(k);
        fmt::format_to(std::back_inserter(out_), "{},", v);
    }
    void str(std::string_view k, std::string_view v) {
        key(k);
        out_ += log::json_string(v);
        out_ += ',';
    }
    void item(std::string_view v) {
        out_ += log::json_string(v);
        out_ += ',';
    }
    void open(char c) { out_ += c; }
    void end(char c) {
        if (out_.back() == ',') {
            out_.back() = c;
        } else {
            out_ += c;
        }
        out_ += ',';
    }
    std::string done() {
        out_.pop_back();  // the comma after the document
        return std::move(out_);
    }

private:
    std::string out_;
};

// uWSGI's numeric cron fields: a number, -1 for every, -N for every Nth. A crontab field
// they cannot say (a list, a range) is -1 there; the `schedule` key has it exactly.
std::array<std::int64_t, 5> cron_fields(std::string_view schedule) {
    std::array<std::int64_t, 5> out{-1, -1, -1, -1, -1};
    std::size_t i = 0;
    while (i < out.size() && !schedule.empty()) {
        const auto start = schedule.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            break;
        }
        schedule.remove_prefix(start);
        const auto end = std::min(schedule.find(' '), schedule.size());
        std::string_view field = schedule.substr(0, end);
        schedule.remove_prefix(end);
        const bool every = field.starts_with("*/");
        if (every) {
            field.remove_prefix(2);
        }
        std::int64_t n = 0;
        const auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), n);
        if (ec == std::errc{} && p == field.data() + field.size()) {
            out[i] = every ? -n : n;
        }
        ++i;
    }
    return out;
}

void write_sockets(json_out& j, const pool_view& v) {
    j.key("sockets");
    j.open('[');
    for (const listener_view& l : v.listeners) {
        j.open('{');
        j.str("name", l.name);
        j.str("proto", l.proto);
        j.num("queue", l.queue);
        j.num("max_queue", l.max_queue);
        j.num("shared", 0);
        j.num("can_offload", 0);
        j.end('}');
    }
    j.end(']');
}

void write_cores(json_out& j, const worker_view& w) {
    j.key("cores");
    j.open('[');
    for (std::size_t i = 0; i < w.cores.size(); ++i) {
        const core_view& c = w.cores[i];
        j.open('{');
        j.num("id", i);
        j.num("requests", c.requests);
        j.num("static_requests", c.static_requests);
        for (const char* zero :
             {"routed_requests", "offloaded_requests", "write_errors", "read_errors"}) {
            j.num(zero, 0);
        }
        j.num("in_request", c.in_request ? 1 : 0);
        // uWSGI lists the request's vars; the scoreboard keeps its method and URI.
        j.key("vars");
        j.open('[');
        if (c.in_request) {
            const auto space = c.request.find(' ');
            j.item(fmt::format("REQUEST_METHOD={}", c.request.substr(0, space)));
            if (space != std::string::npos) {
                j.item(fmt::format("REQUEST_URI={}", c.request.substr(space + 1)));
            }
        }
        j.end(']');
        j.key("req_info");
        j.open('{');
        if (c.in_request) {
            j.signed_num("request_start", c.request_started);
        }
        j.end('}');
        j.end('}');
    }
    j.end(']');
}

void write_worker(json_out& j, const worker_view& w, const stats_format& format) {
    j.open('{');
    j.num("id", static_cast<std::uint64_t>(w.id));
    j.num("pid", static_cast<std::uint64_t>(w.pid));
    j.num("accepting", w.accepting ? 1 : 0);
    j.num("requests", w.overall.requests);
    j.num("delta_requests", w.life.requests);
    j.num("exceptions", w.overall.exceptions);
    j.num("harakiri_count", w.harakiri_count);
    j.num("signals", 0);
    j.num("signal_queue", 0);
    j.str("status", w.status);
    j.num("rss", w.memory.rss);
    j.num("vsz", w.memory.vsz);
    j.num("uss", w.memory.uss);
    j.num("pss", w.memory.pss);
    j.num("running_time", w.overall.running_us);
    j.signed_num("last_spawn", w.last_spawn);
    j.num("respawn_count", w.respawn_count);
    j.num("tx", w.overall.tx_bytes);
    j.num("avg_rt", w.life.requests == 0 ? 0 : w.life.running_us / w.life.requests);
    // One WSGI application per worker, as uWSGI shows a single app.
    j.key("apps");
    j.open('[');
    j.open('{');
    j.num("id", 0);
    j.num("modifier1", 0);
    j.str("mountpoint", "");
    j.num("startup_time", 0);
    j.num("requests", w.overall.requests);
    j.num("exceptions", w.overall.exceptions);
    j.str("chdir", "");
    j.end('}');
    j.end(']');
    if (format.cores) {
        write_cores(j, w);
    }
    j.end('}');
}

}  // namespace

std::string stats_json(const pool_view& v, const stats_format& format) {
    json_out j;
    j.open('{');
    j.str("version", GANTRY_VERSION);
    std::uint64_t queue = 0;
    std::uint64_t errors = 0;
    for (const listener_view& l : v.listeners) {
        queue += l.queue;
        errors += l.queue_full;
    }
    j.num("listen_queue", queue);
    j.num("listen_queue_errors", errors);
    j.num("signal_queue", 0);
    j.num("load", queue);
    j.num("pid", static_cast<std::uint64_t>(v.master_pid));
    j.num("uid", getuid());
    j.num("gid", getgid());
    j.str("cwd", v.cwd);
    j.key("locks");
    j.open('[');
    j.end(']');
    write_sockets(j, v);
    j.key("workers");
    j.open('[');
    for (const worker_view& w : v.workers) {
        write_worker(j, w, format);
    }
    j.end(']');
    j.key("crons");
    j.open('[');
    for (const cron_view& c : v.crons) {
        j.open('{');
        const auto fields = cron_fields(c.schedule);
        const char* names[] = {"minute", "hour", "day", "month", "week"};
        for (std::size_t i = 0; i < fields.size(); ++i) {
            j.signed_num(names[i], fields[i]);
        }
        j.str("schedule", c.schedule);
        j.str("command", c.command);
        j.num("unique", 0);
        j.str("legion", "");
        j.num("pid", static_cast<std::uint64_t>(c.pid));
        j.signed_num("started_at", c.started_at);
        j.end('}');
    }
    j.end(']');
    j.end('}');
    return j.done();
}

}  // namespace gantry::server
