"""Cheap mode (--cheap), going back to it when idle (--idle), and the adaptive pool (--cheaper).

A cheap-mode master must not be woken by the test before the test means to: the usual
readiness check sends a request, so these tests start gantry with `start_cheap`, which
waits for the "cheap mode" log line and a listening socket instead.
"""

import re
import threading
import time

import pytest

import uwsgi_client
from gantry_proc import Gantry
from paths import APPS, REPO
from procs import children, is_running, listening_tcp_ports, wait_until

CHEAP_LINE = "cheap mode (--cheap): no workers until a connection comes"


class CheapGantry(Gantry):
    """Ready when the master says it is cheap and its socket listens; sends nothing."""

    def _wait_ready(self, path, timeout):
        port = int(self.address.rsplit(":", 1)[1])

        def ready():
            if self.proc.poll() is not None:
                return True
            return CHEAP_LINE in self.log_text() and port in listening_tcp_ports(self.pid)

        wait_until(ready, timeout)
        if self.proc.poll() is not None:
            pytest.fail(f"gantry exited with code {self.proc.returncode} before it was ready\n"
                        f"args: {self.args}\n--- log ---\n{self.log_text()}")
        assert ready(), (f"no {CHEAP_LINE!r} and listening port {port} after {timeout}s\n"
                         f"--- log ---\n{self.log_text()}")


def start_cheap(gantry, *args):
    g = CheapGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)  # stopped and checked at teardown like the others
    return g.start(*args)


def cheap_args(port, *extra):
    return ("--module", "app:application", "--chdir", APPS / "cheap",
            "--socket", f"127.0.0.1:{port}", *extra)


def pid_of(resp):
    assert resp.status == 200, resp
    return int(resp.text.split("pid=")[1])


@pytest.mark.parametrize("pool, spawned", [
    (("--processes", "2"), 2),
    (("--cheaper", "1", "--cheaper-initial", "3", "--processes", "4"), 3),
], ids=["processes", "cheaper-initial"])
def test_cheap_spawns_no_worker_until_a_connection_is_pending(gantry, port, pool, spawned):
    g = start_cheap(gantry, *cheap_args(port, "--cheap", *pool))
    assert g.worker_pids() == [], f"workers before any connection:\n{g.log_text()}"
    assert not wait_until(g.worker_pids, 0.3), (
        f"workers appeared with no connection:\n{g.log_text()}")

    # The connection that wakes the pool is served, not dropped: connect first, and send
    # the request only once the master has seen it pending and spawned the workers.
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/first"))
    with uwsgi_client.connect(g.address, timeout=10) as sock:
        g.wait_for_log(f"a connection is waiting: spawning {spawned} worker(s)")
        sock.sendall(packet)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    resp = uwsgi_client.parse_response(raw)
    workers = g.wait_for_workers(spawned)
    assert pid_of(resp) in workers, f"{resp.text!r} not from {workers}"

    log = g.log_text()
    assert log.index(CHEAP_LINE) < log.index("a connection is waiting"), log
    assert len(re.findall(r"spawned worker \d+ ", log)) == spawned, log
    assert g.request(path="/second").status == 200
    assert g.worker_pids() == workers


@pytest.mark.parametrize("mode", [("--cheap", "--idle", "2"), ("--idle", "2")],
                         ids=["cheap-idle", "idle"])
def test_idle_workers_stop_and_come_back_on_the_next_request(gantry, port, mode):
    args = cheap_args(port, "--processes", "2", *mode)
    g = start_cheap(gantry, *args) if "--cheap" in mode else gantry.start(*args)

    # A request running longer than --idle is activity: no worker is stopped under it.
    resp = g.request(path="/sleep/2.5", timeout=10)
    workers = g.wait_for_workers(2)
    assert pid_of(resp) in workers
    assert "no request for" not in g.log_text(), (
        f"workers stopped while a request ran:\n{g.log_text()}")

    idle_since = time.monotonic()
    gone = wait_until(lambda: not g.worker_pids(), 6)
    elapsed = time.monotonic() - idle_since
    log = g.log_text()
    assert gone, f"workers {g.worker_pids()} still there 6 s after the last request:\n{log}"
    assert elapsed >= 1.5, f"workers stopped {elapsed:.2f}s after the last request (--idle 2)"
    for pid in workers:
        assert re.search(rf"stopping worker \d \(pid {pid}\): no request for 2 s", log), log
    g.wait_for_log("cheap mode (no request for 2 s): no workers until a connection comes")
    for pid in workers:
        g.wait_for_log(rf"\(pid {pid}\) exited with code 0\b", regex=True)
        assert not is_running(pid)

    resp = g.request(path="/wake-up", timeout=10)
    again = g.wait_for_workers(2, exclude=workers)
    assert pid_of(resp) in again
    g.wait_for_log("a connection is waiting: spawning 2 worker(s)")
    assert g.request(path="/still-up").status == 200


GROW = re.compile(r"all (\d+) worker\(s\) busy for 1 s: growing to (\d+)")
SHRINK = re.compile(r"stopping worker (\d+) \(pid (\d+)\): idle for 1 s, the pool shrinks to (\d+)")


def test_cheaper_grows_to_processes_under_load_and_shrinks_back_when_idle(gantry, port):
    g = gantry.start(*cheap_args(port, "--cheaper", "1", "--processes", "4",
                                 "--cheaper-overload", "1"))
    [first] = g.wait_for_workers(1)

    lock = threading.Lock()
    served, failures, seen = [], [], set()
    max_live = [1]
    full = threading.Event()  # the pool reached --processes: the burst may end
    burst_over = threading.Event()

    def monitor():
        while not burst_over.is_set():
            pids = children(g.pid)
            with lock:
                seen.update(pids)
                max_live[0] = max(max_live[0], len(pids))
            if len(pids) >= 4:
                full.set()
            time.sleep(0.01)

    def client():
        for n in range(4):  # bounded: at most 4 slow requests per thread
            if n and full.is_set():
                return
            try:
                resp = g.request(path="/sleep/1", timeout=30)
                with lock:
                    served.append(pid_of(resp))
            except (OSError, uwsgi_client.ProtocolError, AssertionError) as exc:
                with lock:
                    failures.append(repr(exc))

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    clients = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(40)
    burst_over.set()
    watcher.join(5)
    for pid in seen:
        g.registry.add(pid, f"gantry worker of {g.pid}")
    assert not any(t.is_alive() for t in clients), "a client thread hung"

    log = g.log_text()
    assert failures == [], f"{len(failures)} requests failed: {failures[:5]}\n--- log ---\n{log}"
    assert max_live[0] == 4, f"the pool peaked at {max_live[0]} workers, not 4:\n{log}"
    assert len(set(served)) == 4, f"requests served by {sorted(set(served))}:\n{log}"
    grows = [(int(a), int(b)) for a, b in GROW.findall(log)]
    assert grows == [(1, 2), (2, 3), (3, 4)], f"growth steps {grows}:\n{log}"

    shrunk = g.wait_for_workers(1, timeout=8)
    log = g.log_text()
    assert shrunk == [first], f"worker 1 (pid {first}) should be the one left, have {shrunk}"
    shrinks = [(int(w), int(n)) for w, _, n in SHRINK.findall(log)]
    assert shrinks == [(4, 3), (3, 2), (2, 1)], (
        f"the pool shrinks by the highest-numbered worker, one at a time: {shrinks}\n{log}")
    assert g.request(path="/after-burst").status == 200
