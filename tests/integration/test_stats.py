"""--stats ADDR and --stats-http: uWSGI 2.0's stats document, read the same way from a real
uWSGI and from gantry (uwsgi_stats_schema.py), and what its numbers must do as gantry serves.

The real uWSGI is Debian's uwsgi-core with its python3 plugin, started on free loopback ports
and stopped by its PID with SIGINT (in uWSGI 2.0 SIGTERM means "reload", not "stop").
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

import uwsgi_client
import uwsgi_stats_schema as stats
from gantry_proc import SLOW, free_ports
from paths import REPO
from procs import ProcessRegistry, wait_until

# The app both servers run: / names the worker, /slow?SECONDS holds the worker (and logs that
# it started), /boom raises. Written into tmp_path by each test.
STATS_APP = '''\
import os
import sys
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        print(f"slow request started in pid {os.getpid()}", file=sys.stderr, flush=True)
        time.sleep(float(environ.get("QUERY_STRING") or 1))
    elif path == "/boom":
        raise RuntimeError("boom from test_stats")
    body = f"pid={os.getpid()}\\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''

# What gantry's document has beyond uWSGI 2.0.21's, level by level: uss/pss are in uWSGI's
# later code (always written there), and crons is written by uWSGI only when it has crons,
# where gantry always writes the list (empty when there are none).
GANTRY_EXTRA_KEYS = {"$": {"crons"}, "$.workers[]": {"uss", "pss"}}


def write_app(tmp_path: Path) -> Path:
    app = tmp_path / "statsapp.py"
    app.write_text(STATS_APP)
    return app


def assert_valid(doc, who: str):
    problems = stats.validate(doc)
    assert not problems, f"{who}'s stats document breaks uWSGI's schema:\n  " + "\n  ".join(problems)


def poll_stats(address: str, predicate, timeout: float = 10.0, http: bool = False):
    """Read the stats document until `predicate(doc)` holds; the last document either way."""
    last = {}

    def check():
        try:
            doc = stats.read_stats_http(address).doc if http else stats.read_stats(address)
        except (OSError, ValueError):
            return None
        last["doc"] = doc
        return doc if predicate(doc) else None

    found = wait_until(check, timeout * SLOW, interval=0.05)
    return found, last.get("doc")


def by_id(doc) -> dict[int, dict]:
    return {w["id"]: w for w in doc["workers"]}


def total(doc, key: str) -> int:
    return sum(w[key] for w in doc["workers"])


class InFlight:
    """A uwsgi request on a thread of its own (e.g. /slow?2), so the test can look at the
    stats while a worker serves it. join() waits for the answer."""

    def __init__(self, address: str, path: str, query: str = "", timeout: float = 15.0):
        self.raw = b""
        self.error: Exception | None = None
        packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path=path, query=query))
        self._thread = threading.Thread(target=self._run, args=(address, packet, timeout))
        self._thread.start()

    def _run(self, address, packet, timeout):
        try:
            self.raw = uwsgi_client.send_raw(address, packet, timeout=timeout).data
        except OSError as exc:
            self.error = exc

    def join(self, timeout: float = 15.0):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the in-flight request never ended"
        return self


# -- a real uWSGI ---------------------------------------------------------------------------


def require_uwsgi() -> str:
    binary = shutil.which("uwsgi")
    if binary is None:
        pytest.skip("uwsgi is not installed (Debian package uwsgi-core)")
    if not glob.glob("/usr/lib/uwsgi/plugins/python3*_plugin.so"):
        pytest.skip("uWSGI's python3 plugin is not installed (Debian package uwsgi-plugin-python3:"
                    " /usr/lib/uwsgi/plugins/python3_plugin.so)")
    return binary


class Uwsgi:
    """One real uWSGI master for a test, driven like Gantry: start() waits until its socket
    answers a request and its stats listener a read; stop() by PID."""

    def __init__(self, binary: str, workdir: Path, registry: ProcessRegistry):
        self.binary = binary
        self.workdir = workdir
        self.registry = registry
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / "uwsgi.log"
        self.address = ""
        self.stats_address = ""
        self.stats_http = False

    def start(self, *args, address: str, stats_address: str, timeout: float = 20.0):
        self.address, self.stats_address = address, stats_address
        self.stats_http = "--stats-http" in args
        argv = [self.binary, "--plugin", "python3", "--need-app", "--socket", address,
                "--stats", stats_address, *map(str, args)]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.registry.add(self.proc.pid, "uwsgi master")

        def ready():
            if self.proc.poll() is not None:
                return True
            try:
                uwsgi_client.request(address, timeout=2)
                if self.stats_http:
                    stats.read_stats_http(stats_address)
                else:
                    stats.read_stats(stats_address)
            except (OSError, ValueError, uwsgi_client.ProtocolError):
                return False
            return True

        wait_until(ready, timeout * SLOW, interval=0.05)
        if self.proc.poll() is not None:
            pytest.fail(f"uwsgi exited with code {self.proc.returncode} before it was ready\n"
                        f"args: {argv}\n--- log ---\n{self.log_text()}")
        assert ready(), f"uwsgi not ready after {timeout}s\n--- log ---\n{self.log_text()}"
        self.registry.add_tree(self.proc.pid, "uwsgi master")
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.registry.add_tree(self.proc.pid, "uwsgi master")
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"uwsgi did not stop within 15s of SIGINT\n--- log ---\n{self.log_text()}")


@pytest.fixture
def uwsgi(tmp_path, process_registry):
    binary = require_uwsgi()
    servers = []

    def start(*args, **kwargs):
        workdir = tmp_path / f"uwsgi-{len(servers)}"
        workdir.mkdir()
        server = Uwsgi(binary, workdir, process_registry)
        servers.append(server)
        return server.start(*args, **kwargs)

    yield start
    for server in servers:
        server.stop()


def uwsgi_pool(app: Path) -> tuple[str, ...]:
    return ("--master", "--processes", "2", "--threads", "2", "--wsgi-file", str(app))


def gantry_pool(app: Path, *extra) -> tuple[str, ...]:
    return ("--master", "--processes", "2", "--threads", "2", "--wsgi-file", str(app), *extra)


def exercise_and_render(address: str, stats_address: str, who: str, worker_pids):
    """What the tests ask of both servers: the document validates, and uwsgitop's table shows
    every worker, with RPS from two reads' difference of `requests`."""
    first = stats.read_stats(stats_address)
    assert_valid(first, who)
    assert first["workers"], f"{who}: no workers in {first}"
    for _ in range(6):
        assert uwsgi_client.request(address, timeout=10).status == 200
    second, last = poll_stats(stats_address, lambda d: total(d, "requests") >= total(first, "requests") + 6)
    assert second, f"{who}: requests never went up by 6: {total(first, 'requests')} -> {last}"
    assert_valid(second, who)

    rows = stats.top_rows(second, first, interval=2.0)
    assert {int(r["PID"]) for r in rows} == set(worker_pids), (rows, worker_pids)
    assert sum(int(r["REQ"]) for r in rows) == total(second, "requests")
    assert stats.total_rps(second, first, interval=2.0) == 3, rows  # 6 requests over 2 "seconds"
    assert [int(r["REQ"]) for r in rows] == sorted((int(r["REQ"]) for r in rows), reverse=True)
    text = stats.render_top(second, first, interval=2.0)
    header = text.splitlines()[2].split()
    assert header == stats.COLUMNS, text
    for pid in worker_pids:
        assert f" {pid} " in text, f"worker {pid} not in the table:\n{text}"
    assert f"req: {total(second, 'requests')} - RPS: 3 - lq: " in text, text
    return second


def test_real_uwsgi_stats_validate_and_render(uwsgi, tmp_path):
    app = write_app(tmp_path)
    port, stats_port = free_ports(2)
    u = uwsgi(*uwsgi_pool(app), address=f"127.0.0.1:{port}", stats_address=f"127.0.0.1:{stats_port}")
    doc = stats.read_stats(u.stats_address)
    pids = [w["pid"] for w in doc["workers"]]
    assert len(pids) == 2 and doc["pid"] == u.proc.pid, doc
    exercise_and_render(u.address, u.stats_address, "uWSGI", pids)

    # The reader sees a busy worker and its core's request vars the way uWSGI writes them.
    slow = InFlight(u.address, "/slow", "2")
    busy, last = poll_stats(u.stats_address, lambda d: any(w["status"] == "busy" for w in d["workers"]))
    assert busy, f"uWSGI never showed a busy worker: {last}"
    assert_valid(busy, "uWSGI")
    cores = [c for w in busy["workers"] for c in w["cores"] if c["in_request"]]
    assert len(cores) == 1, cores
    assert "PATH_INFO=/slow" in cores[0]["vars"], cores[0]["vars"]
    assert isinstance(cores[0]["req_info"].get("request_start"), int), cores[0]
    slow.join()


def test_real_uwsgi_stats_http(uwsgi, tmp_path):
    app = write_app(tmp_path)
    port, stats_port = free_ports(2)
    u = uwsgi(*uwsgi_pool(app), "--stats-http", address=f"127.0.0.1:{port}",
              stats_address=f"127.0.0.1:{stats_port}")
    reply = stats.read_stats_http(u.stats_address)
    assert reply.status == 200, reply.body
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    assert_valid(reply.doc, "uWSGI over HTTP")


# -- gantry ---------------------------------------------------------------------------------


def start_gantry_stats(gantry, tmp_path, *extra, processes=2, threads=2, stats_address=None,
                       allow_log_errors=False):
    app = write_app(tmp_path)
    port, stats_port = free_ports(2)
    stats_address = stats_address or f"127.0.0.1:{stats_port}"
    g = gantry.start("--master", "--processes", str(processes), "--threads", str(threads),
                     "--wsgi-file", app, "--socket", f"127.0.0.1:{port}", "--stats", stats_address,
                     *extra, allow_log_errors=allow_log_errors)
    return g, stats_address


def wait_all_idle(g, stats_address, count):
    """The document once every worker is up, accepting and idle (the first one answered the
    readiness request; the others may still be starting)."""
    def idle(d):
        return (len(d["workers"]) == count
                and all(w["status"] == "idle" and w["accepting"] == 1 and w["pid"] > 0
                        for w in d["workers"]))
    doc, last = poll_stats(stats_address, idle)
    assert doc, f"the workers never all showed idle and accepting: {last}\n--- log ---\n{g.log_text()}"
    return doc


def test_gantry_stats_validate_and_render(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path)
    doc = wait_all_idle(g, stats_address, 2)
    assert_valid(doc, "gantry")
    pids = g.wait_for_workers(2)
    assert doc["pid"] == g.pid, doc["pid"]
    assert sorted(w["pid"] for w in doc["workers"]) == pids
    assert [w["id"] for w in doc["workers"]] == [1, 2]
    assert all(len(w["cores"]) == 2 for w in doc["workers"]), "--threads 2: two cores a worker"
    assert [c["id"] for c in doc["workers"][0]["cores"]] == [0, 1]
    assert doc["cwd"] == str(REPO), f"gantry runs in the repo root here: cwd {doc['cwd']!r}"
    assert (doc["uid"], doc["gid"]) == (os.getuid(), os.getgid())
    assert doc["locks"] == [], f"gantry has no uWSGI locks: the list is empty, {doc['locks']}"
    assert doc["crons"] == [], f"no --cron: crons is an empty list, got {doc.get('crons')}"
    port = g.address.rsplit(":", 1)[1]
    assert [(s["name"], s["proto"]) for s in doc["sockets"]] == [(f"127.0.0.1:{port}", "uwsgi")], \
        doc["sockets"]
    for w in doc["workers"]:
        for key in ("uss", "pss"):
            assert stats.json_type_ok(w.get(key), stats.UINT), f"worker {w['id']} {key}: {w.get(key)!r}"
        assert w["rss"] > 0 and w["vsz"] >= w["rss"], f"worker {w['id']}: rss {w['rss']} vsz {w['vsz']}"
        assert w["respawn_count"] >= 1 and w["last_spawn"] > 1_000_000_000, w
    exercise_and_render(g.address, stats_address, "gantry", pids)


def test_gantry_and_real_uwsgi_documents_have_the_same_keys_and_types(gantry, uwsgi, tmp_path):
    app = write_app(tmp_path)
    port, stats_port = free_ports(2)
    u = uwsgi(*uwsgi_pool(app), address=f"127.0.0.1:{port}", stats_address=f"127.0.0.1:{stats_port}")
    g, stats_address = start_gantry_stats(gantry, tmp_path)
    theirs = stats.read_stats(u.stats_address)
    ours = wait_all_idle(g, stats_address, 2)
    want, have = stats.key_paths(theirs), stats.key_paths(ours)
    for level in sorted(set(want) | set(have)):
        missing = want.get(level, set()) - have.get(level, set())
        extra = have.get(level, set()) - want.get(level, set()) - GANTRY_EXTRA_KEYS.get(level, set())
        assert not missing and not extra, (
            f"at {level}: gantry lacks {sorted(missing)}, has beyond uWSGI 2.0.21 {sorted(extra)}")

    def json_kind(v):
        return "int" if isinstance(v, int) and not isinstance(v, bool) else type(v).__name__

    for key in theirs:
        if not isinstance(theirs[key], (list, dict)):
            assert json_kind(ours[key]) == json_kind(theirs[key]), (key, ours[key], theirs[key])
    for key, value in theirs["workers"][0].items():
        assert json_kind(ours["workers"][0][key]) == json_kind(value), (key, ours["workers"][0][key], value)


def test_gantry_counters_move_as_requests_are_served(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path)
    before = wait_all_idle(g, stats_address, 2)
    n = 10
    for _ in range(n):
        resp = g.request(timeout=10)
        assert resp.status == 200
    want = total(before, "requests") + n
    after, last = poll_stats(stats_address, lambda d: total(d, "requests") >= want)
    assert after, f"requests never reached {want}: {last}"
    assert total(after, "requests") == want, f"{n} requests served, the count moved to {total(after, 'requests')}"
    assert_valid(after, "gantry")
    old, new = by_id(before), by_id(after)
    assert sum(w["delta_requests"] for w in after["workers"]) - \
        sum(w["delta_requests"] for w in before["workers"]) == n, after["workers"]
    assert total(after, "tx") > total(before, "tx"), "tx must count the bytes sent"
    for wid, w in new.items():
        served = w["requests"] - old[wid]["requests"]
        assert sum(c["requests"] for c in w["cores"]) == w["requests"], \
            f"worker {wid}: per-core requests {[c['requests'] for c in w['cores']]} != {w['requests']}"
        assert w["delta_requests"] <= w["requests"], w
        if served:
            assert w["avg_rt"] > 0, f"worker {wid} served {served} requests with avg_rt 0"
            assert w["tx"] >= old[wid]["tx"] + served * len(b"pid=1\n"), w
            assert sum(a["requests"] for a in w["apps"]) > sum(a["requests"] for a in old[wid]["apps"]), \
                f"worker {wid}: its app's requests did not move: {w['apps']}"


def test_gantry_worker_in_a_slow_request_is_busy(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path)
    wait_all_idle(g, stats_address, 2)
    slow = InFlight(g.address, "/slow", "2")
    busy, last = poll_stats(stats_address, lambda d: any(w["status"] == "busy" for w in d["workers"]))
    assert busy, f"no worker ever showed busy while /slow ran: {last}"
    assert_valid(busy, "gantry")
    workers = [w for w in busy["workers"] if w["status"] == "busy"]
    assert len(workers) == 1, busy["workers"]
    cores = [c for c in workers[0]["cores"] if c["in_request"] == 1]
    assert len(cores) == 1, f"one core of the busy worker is in the request: {workers[0]['cores']}"
    # uWSGI dumps every var of the request; any var naming the path identifies it.
    assert any(v.endswith("=/slow") or "=/slow?" in v for v in cores[0]["vars"]), \
        f"the core's vars do not name the request: {cores[0]['vars']}"
    assert isinstance(cores[0]["req_info"].get("request_start"), int), cores[0]["req_info"]
    assert all(w["status"] == "idle" for w in busy["workers"] if w is not workers[0]), busy["workers"]
    slow.join()
    idle, last = poll_stats(stats_address, lambda d: all(
        w["status"] == "idle" and not any(c["in_request"] for c in w["cores"]) for w in d["workers"]))
    assert idle, f"the worker never went back to idle: {last}"


def test_gantry_killed_worker_respawn_count_goes_up(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path, allow_log_errors=True)  # the kill is logged
    before = by_id(wait_all_idle(g, stats_address, 2))
    victim = before[2]
    os.kill(victim["pid"], signal.SIGKILL)

    def respawned(d):
        w = by_id(d).get(2)
        return (w and w["pid"] not in (0, victim["pid"]) and w["respawn_count"] > victim["respawn_count"])

    after, last = poll_stats(stats_address, respawned)
    assert after, f"worker 2 (pid {victim['pid']}) killed: no new pid and respawn_count in {last}"
    w2 = by_id(after)[2]
    assert w2["respawn_count"] == victim["respawn_count"] + 1, (victim, w2)
    assert by_id(after)[1]["respawn_count"] == before[1]["respawn_count"], "worker 1 was not touched"
    assert by_id(after)[1]["pid"] == before[1]["pid"]
    pids = g.wait_for_workers(2, exclude=[victim["pid"]])
    assert w2["pid"] in pids, f"the stats' new pid {w2['pid']} is not a child of the master: {pids}"
    assert w2["last_spawn"] >= victim["last_spawn"], (victim, w2)


def test_gantry_exceptions_go_up_when_the_app_raises(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path, allow_log_errors=True)  # the traceback
    before = wait_all_idle(g, stats_address, 2)
    resp = g.request(path="/boom", timeout=10)
    assert resp.status == 500, resp
    after, last = poll_stats(stats_address, lambda d: total(d, "exceptions") > total(before, "exceptions"))
    assert after, f"exceptions never went up after /boom raised: {last}"
    assert total(after, "exceptions") == total(before, "exceptions") + 1, after["workers"]
    apps = lambda d: sum(a["exceptions"] for w in d["workers"] for a in w["apps"])  # noqa: E731
    assert apps(after) == apps(before) + 1, [w["apps"] for w in after["workers"]]


def test_gantry_stats_on_a_unix_socket(gantry, tmp_path):
    path = str(tmp_path / "stats.sock")
    g, stats_address = start_gantry_stats(gantry, tmp_path, stats_address=path)
    doc = wait_all_idle(g, path, 2)
    assert_valid(doc, "gantry on a unix stats socket")
    assert doc["pid"] == g.pid


def test_gantry_stats_http(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path, "--stats-http")
    reply = stats.read_stats_http(stats_address)
    assert reply.status == 200, (reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").split(";")[0].strip() == "application/json", reply.headers
    assert_valid(reply.doc, "gantry over HTTP")
    assert reply.doc["pid"] == g.pid
    top = stats.Top(stats_address, http=True)
    doc, text = top.read()
    assert str(doc["workers"][0]["pid"]) in text, text


def test_gantry_stats_listener_survives_a_sighup_reload(gantry, tmp_path):
    g, stats_address = start_gantry_stats(gantry, tmp_path)
    old = g.wait_for_workers(2)
    wait_all_idle(g, stats_address, 2)
    os.kill(g.pid, signal.SIGHUP)
    new = g.wait_for_workers(2, exclude=old)
    doc, last = poll_stats(stats_address, lambda d: sorted(w["pid"] for w in d["workers"]) == new,
                           timeout=15)
    assert doc, f"after SIGHUP the stats at {stats_address} never showed the new workers {new}: {last}"
    assert_valid(doc, "gantry after a reload")
    assert doc["pid"] == g.pid, "the master keeps its pid across the reload"


def test_gantry_unix_socket_queue_is_the_kernel_accept_queue(gantry, tmp_path):
    """uWSGI reports 0 for a unix socket's queue; gantry reads the kernel's count."""
    app = write_app(tmp_path)
    sock_path = str(tmp_path / "q.sock")
    (stats_port,) = free_ports(1)
    stats_address = f"127.0.0.1:{stats_port}"
    g = gantry.start("--master", "--processes", "1", "--threads", "1", "--wsgi-file", app,
                     "--socket", sock_path, "--stats", stats_address)
    wait_all_idle(g, stats_address, 1)
    slow = InFlight(sock_path, "/slow", "3")
    pending = []
    try:
        busy, last = poll_stats(stats_address, lambda d: d["workers"][0]["status"] == "busy")
        assert busy, f"the only worker never showed busy: {last}"
        for _ in range(3):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            pending.append(s)
            s.settimeout(5)
            s.connect(sock_path)  # accepted by the kernel, not yet by the busy worker
            s.sendall(uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/")))
        queued, last = poll_stats(stats_address, lambda d: d["sockets"][0]["queue"] >= 3, timeout=2)
        assert queued, (f"3 connections wait on {sock_path} behind a busy worker; "
                        f"sockets in the stats: {last.get('sockets')}")
        sock = queued["sockets"][0]
        assert sock["name"] == sock_path, sock
        assert sock["max_queue"] >= sock["queue"], sock
    finally:
        for s in pending:
            s.close()
        slow.join()
