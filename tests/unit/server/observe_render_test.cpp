#include <catch2/catch.hpp>

#include <string>

#include "server/observe/metrics_text.hpp"
#include "server/observe/stats_json.hpp"

using namespace gantry::server;

namespace {

pool_view sample() {
    pool_view v;
    v.master_pid = 100;
    v.cwd = "/srv/\"app\"";
    v.target = 2;
    worker_view busy;
    busy.id = 1;
    busy.pid = 101;
    busy.status = "busy";
    busy.accepting = true;
    busy.life = {.requests = 4, .exceptions = 1, .tx_bytes = 400, .running_us = 800};
    busy.overall = {.requests = 9, .exceptions = 2, .tx_bytes = 900, .running_us = 1800};
    busy.respawn_count = 2;
    core_view core;
    core.requests = 4;
    core.in_request = true;
    core.request = "GET /slow?x=1";
    core.request_started = 1'700'000'000;
    busy.cores = {core};
    worker_view cheap;
    cheap.id = 2;
    v.workers = {busy, cheap};
    listener_view l;
    l.name = "/run/a \"b\".sock";
    l.proto = "uwsgi";
    l.queue_known = true;
    l.queue = 3;
    l.max_queue = 100;
    l.queue_full = 7;
    v.listeners = {l};
    cron_view c;
    c.schedule = "*/5 3 * * 1-5";
    c.command = "true";
    v.crons = {c};
    v.totals.by_status = {1, 0, 10, 0, 2, 3};
    v.totals.duration[0] = 5;
    v.totals.duration[3] = 2;
    v.totals.duration.back() = 1;
    v.totals.duration_sum_us = 12'500'000;
    v.totals.respawns[static_cast<std::size_t>(respawn_cause::died)] = 4;
    return v;
}

bool has(const std::string& text, const std::string& piece) {
    return text.find(piece) != std::string::npos;
}

}  // namespace

TEST_CASE("stats JSON: uWSGI's keys with integer values, gantry's extras escaped") {
    const std::string j = stats_json(sample(), {});
    CHECK(j.front() == '{');
    CHECK(j.back() == '}');
    CHECK(has(j, R"("listen_queue":3,"listen_queue_errors":7,)"));
    CHECK(has(j, R"("cwd":"/srv/\"app\"")"));
    CHECK(has(j, R"("locks":[],)"));
    CHECK(has(j, R"("name":"/run/a \"b\".sock","proto":"uwsgi","queue":3,"max_queue":100,)"));
    CHECK(has(j, R"("requests":9,"delta_requests":4,"exceptions":2,)"));
    CHECK(has(j, R"("status":"busy")"));
    CHECK(has(j, R"("avg_rt":200,)"));
    CHECK(has(j, R"("respawn_count":2,)"));
    CHECK(has(j, R"("in_request":1,"vars":["REQUEST_METHOD=GET","REQUEST_URI=/slow?x=1"],)"));
    CHECK(has(j, R"("req_info":{"request_start":1700000000})"));
    // An id with no process: uWSGI's cheap worker.
    CHECK(has(j, R"({"id":2,"pid":0,"accepting":0,)"));
    CHECK(has(j, R"("status":"cheap")"));
    // */5 is uWSGI's -5, a single value stays, a range it cannot say is -1.
    CHECK(has(j, R"("minute":-5,"hour":3,"day":-1,"month":-1,"week":-1,)"));
    CHECK(has(j, R"("schedule":"*/5 3 * * 1-5")"));
    CHECK_FALSE(has(j, ",}"));
    CHECK_FALSE(has(j, ",]"));
}

TEST_CASE("stats JSON: --stats-no-cores leaves the cores out") {
    CHECK_FALSE(has(stats_json(sample(), {.cores = false}), "\"cores\""));
}

TEST_CASE("metrics: Prometheus text with cumulative buckets and escaped labels") {
    const std::string m = metrics_text(sample());
    CHECK(has(m, "# TYPE gantry_requests_total counter\n"));
    CHECK(has(m, "gantry_requests_total{status=\"none\"} 1\n"));
    CHECK(has(m, "gantry_requests_total{status=\"2xx\"} 10\n"));
    CHECK(has(m, "gantry_requests_total{status=\"5xx\"} 3\n"));
    CHECK(has(m, "gantry_request_duration_seconds_bucket{le=\"0.001\"} 5\n"));
    CHECK(has(m, "gantry_request_duration_seconds_bucket{le=\"0.005\"} 5\n"));
    CHECK(has(m, "gantry_request_duration_seconds_bucket{le=\"0.01\"} 7\n"));
    CHECK(has(m, "gantry_request_duration_seconds_bucket{le=\"10\"} 7\n"));
    CHECK(has(m, "gantry_request_duration_seconds_bucket{le=\"+Inf\"} 8\n"));
    CHECK(has(m, "gantry_request_duration_seconds_count 8\n"));
    CHECK(has(m, "gantry_request_duration_seconds_sum 12.5\n"));
    CHECK(has(m, "gantry_worker_respawns_total{cause=\"died\"} 4\n"));
    CHECK(has(m, "gantry_workers{state=\"busy\"} 1\n"));
    CHECK(has(m, "gantry_workers{state=\"idle\"} 0\n"));
    CHECK(has(m, "gantry_listen_queue{socket=\"/run/a \\\"b\\\".sock\"} 3\n"));
    CHECK(has(m, "gantry_listen_queue_full_total{socket=\"/run/a \\\"b\\\".sock\"} 7\n"));
    // Only workers with a process have memory series.
    CHECK(has(m, "gantry_worker_resident_memory_bytes{worker=\"1\"}"));
    CHECK_FALSE(has(m, "gantry_worker_resident_memory_bytes{worker=\"2\"}"));
}

TEST_CASE("latency buckets: a bound belongs to its own bucket") {
    CHECK(latency_bucket(0) == 0);
    CHECK(latency_bucket(1'000) == 0);
    CHECK(latency_bucket(1'001) == 1);
    CHECK(latency_bucket(10'000'000) == latency_bounds_us.size() - 1);
    CHECK(latency_bucket(10'000'001) == latency_bounds_us.size());
}
