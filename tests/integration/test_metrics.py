"""--metrics ADDR: Prometheus text format 0.0.4 at /metrics, /healthz and /readyz, on a
listener of its own. Checked with python3-prometheus-client's parser, `promtool check
metrics`, and a real Prometheus server scraping gantry (prometheus_server.py)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import uwsgi_client
from gantry_proc import SLOW, free_ports
from procs import wait_until
from prometheus_server import http_get, prometheus, promtool_check_metrics  # noqa: F401 (fixture)
from test_cheap import start_cheap

# / names the worker; /slow?SECONDS holds it; /boom raises.
METRICS_APP = '''\
import os
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or 1))
    elif path == "/boom":
        raise RuntimeError("boom from test_metrics")
    body = f"pid={os.getpid()}\\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "none"}
RESPAWN_CAUSES = {"died", "harakiri", "max_requests", "max_rss", "max_lifetime", "reload"}
WORKER_STATES = {"starting", "idle", "busy", "retiring", "stopping"}

# family name as prometheus_client's parser reports it (a counter loses its _total) ->
# (type, the label names every sample carries)
FAMILIES = {
    "gantry_requests": ("counter", {"status"}),
    "gantry_request_exceptions": ("counter", set()),
    "gantry_response_bytes": ("counter", set()),
    "gantry_request_duration_seconds": ("histogram", set()),
    "gantry_request_queue_wait_seconds": ("histogram", set()),
    "gantry_harakiri_kills": ("counter", set()),
    "gantry_worker_respawns": ("counter", {"cause"}),
    "gantry_workers": ("gauge", {"state"}),
    "gantry_workers_target": ("gauge", set()),
    "gantry_listen_queue": ("gauge", {"socket"}),
    "gantry_listen_queue_max": ("gauge", {"socket"}),
    "gantry_listen_queue_full": ("counter", {"socket"}),
    "gantry_worker_resident_memory_bytes": ("gauge", {"worker"}),
    "gantry_worker_proportional_memory_bytes": ("gauge", {"worker"}),
    "gantry_build_info": ("gauge", {"version"}),
}


class Scrape:
    """One GET /metrics, parsed: families by name, and sample values by name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, name: str, **labels) -> float | None:
        """The one sample `name` whose labels include `labels` (le as written), or None."""
        found = [s.value for s in self.samples
                 if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
        assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
        return found[0] if found else None

    def total(self, name: str, **labels) -> float:
        """The sum of the samples `name` whose labels include `labels` (0 when there are none)."""
        return sum(s.value for s in self.samples
                   if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))

    def labels(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


def scrape(metrics_address: str) -> Scrape:
    status, headers, body = http_get(f"http://{metrics_address}/metrics")
    assert status == 200, f"GET /metrics: {status} {body[:300]!r}"
    return Scrape(body.decode("utf-8"))


def poll_metrics(metrics_address: str, predicate, timeout: float = 10.0):
    """Scrape until `predicate(scrape)` holds; (the matching scrape or None, the last one)."""
    last = {}

    def check():
        try:
            s = scrape(metrics_address)
        except OSError:
            return None
        last["s"] = s
        return s if predicate(s) else None

    found = wait_until(check, timeout * SLOW, interval=0.05)
    return found, last.get("s")


def write_app(tmp_path: Path) -> Path:
    app = tmp_path / "metricsapp.py"
    app.write_text(METRICS_APP)
    return app


def start_metrics(gantry, tmp_path, *extra, processes=2, threads=1, allow_log_errors=False):
    """gantry with a uwsgi socket and --metrics; returns (gantry, metrics address)."""
    port, metrics_port = free_ports(2)
    metrics_address = f"127.0.0.1:{metrics_port}"
    g = gantry.start("--master", "--processes", str(processes), "--threads", str(threads),
                     "--wsgi-file", write_app(tmp_path), "--socket", f"127.0.0.1:{port}",
                     "--metrics", metrics_address, *extra, allow_log_errors=allow_log_errors)
    return g, metrics_address


def wait_idle(g, metrics_address, count):
    s, last = poll_metrics(metrics_address,
                           lambda s: s.value("gantry_workers", state="idle") == count)
    assert s, (f"gantry_workers{{state=\"idle\"}} never reached {count}:\n"
               f"{last.text if last else '(no scrape)'}\n--- log ---\n{g.log_text()}")
    return s


class InFlight:
    """A uwsgi request on a thread of its own (a slow one, to hold a worker)."""

    def __init__(self, address: str, path: str, query: str = ""):
        self.raw = b""
        packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path=path, query=query))
        self._thread = threading.Thread(target=self._run, args=(address, packet))
        self._thread.start()

    def _run(self, address, packet):
        try:
            self.raw = uwsgi_client.send_raw(address, packet, timeout=15).data
        except OSError:
            pass

    def join(self):
        self._thread.join(20)
        assert not self._thread.is_alive(), "the in-flight request never ended"


# -- the helper itself, against Prometheus' own metrics --------------------------------------


def test_prometheus_helper_scrapes_prometheus_itself(prometheus):
    prom = prometheus.start(job="prometheus")  # no target: it scrapes its own /metrics
    up = prom.wait_for(lambda: [r for r in prom.query('up{job="prometheus"}') if r["value"][1] == "1"])
    assert up, f"up{{job=\"prometheus\"}} never 1: {prom.query('up')}; targets: {prom.targets()}"
    assert prom.query("prometheus_build_info"), "the scraped series are queryable"
    status, _, body = http_get(f"{prom.url}/metrics")
    assert status == 200
    assert list(text_string_to_metric_families(body.decode())), "the parser reads Prometheus' own text"


# -- gantry ----------------------------------------------------------------------------------


def test_metrics_parse_pass_promtool_and_have_every_series(gantry, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path)
    wait_idle(g, metrics_address, 2)
    for _ in range(3):
        assert g.request(timeout=10).status == 200

    status, headers, body = http_get(f"http://{metrics_address}/metrics")
    assert status == 200, body[:300]
    content_type = headers.get("content-type", "")
    assert content_type.startswith("text/plain") and "version=0.0.4" in content_type, content_type
    text = body.decode("utf-8")
    s = Scrape(text)  # the parser raises on anything it cannot read

    code, output = promtool_check_metrics(text)
    assert code == 0 and not output.strip(), f"promtool check metrics: exit {code}\n{output}"

    for name, (kind, label_names) in FAMILIES.items():
        assert name in s.families, f"no {name} ({kind}) in /metrics:\n{text}"
        family = s.families[name]
        assert family.type == kind, f"{name} is a {family.type}, expected a {kind}"
        for sample in family.samples:
            names = set(sample.labels) - {"le"}
            assert names == label_names, f"{sample.name}{sample.labels}: expected labels {label_names}"

    assert s.labels("gantry_requests_total", "status") <= STATUS_CLASSES, s.labels("gantry_requests_total", "status")
    assert s.value("gantry_requests_total", status="2xx") >= 3
    assert s.labels("gantry_worker_respawns_total", "cause") <= RESPAWN_CAUSES
    assert s.labels("gantry_workers", "state") <= WORKER_STATES, s.labels("gantry_workers", "state")
    assert s.total("gantry_workers") == 2, f"2 worker processes: {s.families['gantry_workers'].samples}"
    assert s.value("gantry_workers_target") == 2
    for name in ("gantry_request_exceptions_total", "gantry_harakiri_kills_total"):
        assert s.value(name) == 0, f"{name} = {s.value(name)} before any exception or harakiri"
    assert s.value("gantry_response_bytes_total") > 0
    for hist in ("gantry_request_duration_seconds", "gantry_request_queue_wait_seconds"):
        assert_histogram(s, hist)
    assert s.value("gantry_request_duration_seconds_count") >= 3

    addr = g.address
    for name in ("gantry_listen_queue", "gantry_listen_queue_max", "gantry_listen_queue_full_total"):
        assert s.value(name, socket=addr) is not None, f"no {name}{{socket=\"{addr}\"}}: {s.labels(name, 'socket')}"
    assert s.value("gantry_listen_queue_max", socket=addr) >= 1
    assert s.value("gantry_listen_queue", socket=addr) == 0, "nothing waits on an idle pool"

    for wid in ("1", "2"):
        for name in ("gantry_worker_resident_memory_bytes", "gantry_worker_proportional_memory_bytes"):
            v = s.value(name, worker=wid)
            assert v is not None and v > 0, f"{name}{{worker=\"{wid}\"}} = {v}"
        assert s.value("gantry_worker_proportional_memory_bytes", worker=wid) <= \
            s.value("gantry_worker_resident_memory_bytes", worker=wid) * 1.01, "PSS is at most RSS"

    [info] = [x for x in s.families["gantry_build_info"].samples]
    assert info.value == 1 and info.labels["version"], info


def assert_histogram(s: Scrape, name: str) -> None:
    buckets = sorted(((float(b.labels["le"]), b.value) for b in s.samples if b.name == f"{name}_bucket"))
    assert buckets, f"{name} has no buckets"
    assert buckets[-1][0] == float("inf"), f"{name}: the last bucket is le=\"+Inf\": {buckets}"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"{name}: buckets are cumulative: {buckets}"
    assert buckets[-1][1] == s.value(f"{name}_count"), f"{name}: +Inf bucket != _count"
    assert s.value(f"{name}_sum") is not None and s.value(f"{name}_sum") >= 0


def test_metrics_counters_move_with_requests(gantry, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path, allow_log_errors=True)  # /boom's traceback
    before = wait_idle(g, metrics_address, 2)
    n = 5
    for _ in range(n):
        assert g.request(timeout=10).status == 200
    assert g.request(path="/boom", timeout=10).status == 500

    def moved(s):
        return (s.total("gantry_requests_total", status="2xx") - before.total("gantry_requests_total", status="2xx") >= n
                and s.total("gantry_requests_total", status="5xx") > before.total("gantry_requests_total", status="5xx"))

    after, last = poll_metrics(metrics_address, moved)
    assert after, f"the request counters never moved by {n} 2xx and one 5xx:\n{last.text if last else ''}"

    def delta(name, **labels):
        return after.total(name, **labels) - before.total(name, **labels)

    assert delta("gantry_requests_total", status="2xx") == n
    assert delta("gantry_requests_total", status="5xx") == 1
    assert delta("gantry_request_exceptions_total") == 1
    assert delta("gantry_request_duration_seconds_count") == n + 1
    assert delta("gantry_request_duration_seconds_sum") > 0
    assert delta("gantry_response_bytes_total") >= n * len(b"pid=1\n")
    assert_histogram(after, "gantry_request_duration_seconds")


def test_healthz_readyz_and_unknown_paths(gantry, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path)
    wait_idle(g, metrics_address, 2)
    assert http_get(f"http://{metrics_address}/healthz")[0] == 200
    assert http_get(f"http://{metrics_address}/readyz")[0] == 200
    assert http_get(f"http://{metrics_address}/no-such-thing")[0] == 404


def test_readyz_is_503_while_no_worker_accepts(gantry, tmp_path):
    """With --cheap the pool has no worker until a connection comes: not ready, but alive."""
    port, metrics_port = free_ports(2)
    metrics_address = f"127.0.0.1:{metrics_port}"
    g = start_cheap(gantry, "--wsgi-file", write_app(tmp_path), "--socket", f"127.0.0.1:{port}",
                    "--processes", "1", "--cheap", "--metrics", metrics_address)
    answered = wait_until(lambda: _get_status(f"http://{metrics_address}/healthz") == 200, 10 * SLOW)
    assert answered, f"/healthz never answered 200 on {metrics_address}\n--- log ---\n{g.log_text()}"
    assert g.worker_pids() == [], "still cheap"
    assert http_get(f"http://{metrics_address}/readyz")[0] == 503, "no worker accepts: /readyz is 503"

    resp = uwsgi_client.request(g.address, timeout=15)  # wakes the pool
    assert resp.status == 200
    ready = wait_until(lambda: _get_status(f"http://{metrics_address}/readyz") == 200, 10 * SLOW)
    assert ready, f"/readyz never 200 once a worker ran\n--- log ---\n{g.log_text()}"


def _get_status(url: str) -> int | None:
    try:
        return http_get(url, timeout=2)[0]
    except OSError:
        return None


def test_real_prometheus_scrapes_gantry(gantry, prometheus, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path)
    for _ in range(3):
        assert g.request(timeout=10).status == 200
    prom = prometheus.start(target=metrics_address, job="gantry")
    up = prom.wait_for(lambda: [r for r in prom.query('up{job="gantry"}') if r["value"][1] == "1"])
    assert up, (f"up{{job=\"gantry\"}} never 1: {prom.query('up')}\ntargets: {prom.targets()}"
                f"\n--- prometheus log ---\n{prom.log_text()}")
    series = prom.wait_for(lambda: prom.query('gantry_requests_total{job="gantry"}'))
    assert series, f"no gantry_requests_total series in Prometheus; targets: {prom.targets()}"
    assert any(r["metric"].get("status") == "2xx" and float(r["value"][1]) >= 3 for r in series), series
    assert prom.query('gantry_build_info{job="gantry"} == 1'), "gantry_build_info is queryable"
    health = [t["health"] for t in prom.targets() if t["labels"].get("job") == "gantry"]
    assert health == ["up"], prom.targets()


@pytest.mark.parametrize("form", ["microseconds", "seconds", "uwsgi-microseconds"])
def test_queue_wait_histogram_from_x_request_start(gantry, tmp_path, form):
    port, http_port, metrics_port = free_ports(3)
    metrics_address = f"127.0.0.1:{metrics_port}"
    g = gantry.start("--master", "--processes", "1", "--wsgi-file", write_app(tmp_path),
                     "--socket", f"127.0.0.1:{port}", "--http-socket", f"127.0.0.1:{http_port}",
                     "--metrics", metrics_address)
    base = wait_idle(g, metrics_address, 1)
    url = f"http://127.0.0.1:{http_port}/"

    # Without the header, a request is timed but adds nothing to the queue-wait histogram.
    assert requests.get(url, timeout=10).status_code == 200
    timed, last = poll_metrics(metrics_address, lambda s: s.total("gantry_request_duration_seconds_count")
                               > base.total("gantry_request_duration_seconds_count"))
    assert timed, f"the request without X-Request-Start was never counted:\n{last.text if last else ''}"
    assert timed.total("gantry_request_queue_wait_seconds_count") == \
        base.total("gantry_request_queue_wait_seconds_count"), "no header, no queue-wait observation"

    waited = 0.25  # the front "received" the request this long before gantry did
    start = time.time() - waited
    value = f"t={int(start * 1_000_000)}" if form.endswith("microseconds") else f"t={start:.3f}"
    if form.startswith("uwsgi"):
        resp = g.request(headers={"X-Request-Start": value}, timeout=10)
        assert resp.status == 200
    else:
        assert requests.get(url, headers={"X-Request-Start": value}, timeout=10).status_code == 200
    counted, last = poll_metrics(metrics_address, lambda s: s.total("gantry_request_queue_wait_seconds_count")
                                 > timed.total("gantry_request_queue_wait_seconds_count"))
    assert counted, (f"X-Request-Start: {value} never reached gantry_request_queue_wait_seconds_count:\n"
                     f"{last.text if last else ''}")
    assert counted.total("gantry_request_queue_wait_seconds_count") == \
        timed.total("gantry_request_queue_wait_seconds_count") + 1
    observed = counted.total("gantry_request_queue_wait_seconds_sum") - \
        timed.total("gantry_request_queue_wait_seconds_sum")
    assert waited - 0.01 <= observed < waited + 5, f"queue wait {observed}s for a request {waited}s old"
    assert_histogram(counted, "gantry_request_queue_wait_seconds")


def test_killed_worker_counts_as_a_respawn_that_died(gantry, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path, allow_log_errors=True)  # the kill is logged
    before = wait_idle(g, metrics_address, 2)
    old = g.wait_for_workers(2)
    os.kill(old[0], signal.SIGKILL)
    g.wait_for_workers(2, exclude=[old[0]])
    died = before.total("gantry_worker_respawns_total", cause="died")
    after, last = poll_metrics(metrics_address,
                               lambda s: s.total("gantry_worker_respawns_total", cause="died") > died)
    assert after, f"gantry_worker_respawns_total{{cause=\"died\"}} never went up:\n{last.text if last else ''}"
    assert after.total("gantry_worker_respawns_total", cause="died") == died + 1


def test_harakiri_counts_a_kill_and_a_respawn(gantry, tmp_path):
    g, metrics_address = start_metrics(gantry, tmp_path, "--harakiri", "1", processes=1,
                                       allow_log_errors=True)  # the harakiri is logged
    before = wait_idle(g, metrics_address, 1)
    slow = InFlight(g.address, "/slow", "5")
    after, last = poll_metrics(metrics_address, lambda s: s.total("gantry_harakiri_kills_total")
                               > before.total("gantry_harakiri_kills_total"), timeout=15)
    slow.join()
    assert after, f"gantry_harakiri_kills_total never went up:\n{last.text if last else ''}\n{g.log_text()}"
    assert after.total("gantry_harakiri_kills_total") == before.total("gantry_harakiri_kills_total") + 1
    respawned, last = poll_metrics(metrics_address, lambda s: s.total("gantry_worker_respawns_total", cause="harakiri")
                                   > before.total("gantry_worker_respawns_total", cause="harakiri"))
    assert respawned, f"no gantry_worker_respawns_total{{cause=\"harakiri\"}}:\n{last.text if last else ''}"


def test_listen_queue_and_busy_workers_over_tcp(gantry, tmp_path):
    """One worker held in a slow request, three more connections waiting in the kernel's
    accept queue: the gauges read them (TCP_INFO on the listener)."""
    g, metrics_address = start_metrics(gantry, tmp_path, processes=1, threads=1)
    wait_idle(g, metrics_address, 1)
    slow = InFlight(g.address, "/slow", "3")
    pending = []
    try:
        busy, last = poll_metrics(metrics_address, lambda s: s.value("gantry_workers", state="busy") == 1)
        assert busy, f"gantry_workers{{state=\"busy\"}} never 1:\n{last.text if last else ''}"
        host, _, port = g.address.rpartition(":")
        packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/"))
        for _ in range(3):
            # With data sent, as a front sends its request at once: a listener with
            # TCP_DEFER_ACCEPT keeps a silent connection out of the accept queue (SYN-RECV).
            s = socket.create_connection((host, int(port)), timeout=5)
            pending.append(s)
            s.sendall(packet)
        queued, last = poll_metrics(metrics_address,
                                    lambda s: (s.value("gantry_listen_queue", socket=g.address) or 0) >= 3,
                                    timeout=2)
        assert queued, (f"3 connections wait behind a busy worker; gantry_listen_queue: "
                        f"{[(x.labels, x.value) for x in last.samples if x.name == 'gantry_listen_queue']}")
        assert queued.value("gantry_listen_queue_max", socket=g.address) >= 3
    finally:
        for s in pending:
            s.close()
        slow.join()
