"""Workers that get replaced: harakiri, --max-requests, --max-worker-lifetime,
--reload-on-rss, and the back-off of a worker that crashes at start-up."""

import os
import re
import shutil
import signal
import threading
import time

import pytest

import uwsgi_client
from http_client import HttpConn, start_http
from paths import APPS
from procs import is_running, wait_until


def ops_args(port, *extra):
    return ("--module", "app:application", "--chdir", APPS / "ops",
            "--socket", f"127.0.0.1:{port}", *extra)


def test_harakiri_kills_a_stuck_request_and_logs_its_traceback(gantry, port):
    # The harakiri report and the killed worker are error lines on purpose.
    g = gantry.start(*ops_args(port, "--harakiri", "1"), allow_log_errors=True)
    [victim] = g.wait_for_workers(1)

    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/harakiri"))
    started = time.monotonic()
    raw = g.send_raw(packet, timeout=10)  # socket.timeout here would mean a hang
    elapsed = time.monotonic() - started
    assert elapsed < 4.5, f"the 5 s request was not cut by --harakiri 1 ({elapsed:.1f}s)"
    assert not raw.data.startswith(b"HTTP/"), f"the killed request got a response: {raw.data!r}"

    line = g.wait_for_log("harakiri: worker")
    assert f"(pid {victim})" in line and "GET /harakiri" in line, line
    assert re.search(r"for \d+(\.\d+)? s \(limit 1 s\)", line), line
    g.wait_for_log(r'File ".*app\.py", line \d+ in gantry_harakiri_victim_sleeps_here',
                   regex=True)
    g.wait_for_log(rf"\(pid {victim}\) killed by signal 9\b", regex=True)
    assert wait_until(lambda: not is_running(victim), 5)
    log = g.log_text()
    assert log.index("harakiri: worker") < log.index("gantry_harakiri_victim_sleeps_here"), (
        "the traceback follows the harakiri line")

    resp = g.request(path="/after-harakiri", timeout=10)
    assert resp.status == 200
    assert int(resp.text.split("pid=")[1]) != victim
    [replacement] = g.wait_for_workers(1, exclude=[victim])
    assert resp.text == f"pid={replacement}\n"


RECYCLED_STOP = re.compile(r"stopping worker (\d+) \(pid (\d+)\): recycled: (.*)$")
RECYCLED_EXIT = re.compile(r"worker (\d+) \(pid (\d+)\) exited with code 0 \(recycled: ")


def recycled_exits(log):
    return [m for m in map(RECYCLED_EXIT.search, log.splitlines()) if m]


def served_by(g, count, path="/"):
    """`count` requests one after the other, each on its own connection: the pids that served."""
    pids = []
    for n in range(count):
        resp = g.request(path=f"{path}?{n}", timeout=10)
        assert resp.status == 200, resp
        pids.append(int(resp.text.split("pid=")[1]))
    return pids


def test_max_requests_a_worker_takes_no_request_past_its_limit(gantry, port):
    # The worker itself stops taking requests at its limit and wakes the master, which forks
    # the replacement at once: not one request more, and no wait for the master's tick.
    g = gantry.start(*ops_args(port, "--processes", "1", "--max-requests", "5"))
    g.wait_for_workers(1)
    pids = served_by(g, 16)
    counts = {pid: pids.count(pid) for pid in pids}
    assert len(counts) >= 3, f"16 requests, --max-requests 5, one worker: served by {counts}"
    assert max(counts.values()) <= 5, f"a worker served more than --max-requests 5: {counts}"
    # Strictly one after the other, so each worker's requests are one run of five (the first
    # worker's first request was the fixture's readiness check).
    assert pids == sorted(pids, key=pids.index), pids
    assert [counts[pid] for pid in dict.fromkeys(pids)] == [4, 5, 5, 2], counts
    log = g.log_text()
    for pid in list(dict.fromkeys(pids))[:3]:
        assert re.search(rf"stopping worker 1 \(pid {pid}\): recycled: served 5 requests "
                         rf"\(--max-requests 5\)$", log, re.M), log
        g.wait_for_log(rf"worker 1 \(pid {pid}\) exited with code 0 \(recycled: ", regex=True)
    assert "respawning" not in log, "a recycled worker's exit is not a death"


def test_max_requests_with_threads_and_http_socket(gantry, port):
    # The same promise on the HTTP socket, where connections are polled. With two threads the
    # other one may have taken a connection already when the limit is reached: at most
    # threads - 1 more (README, --max-requests).
    start_http(gantry, port, "--threads", "2", "--max-requests", "3")
    pids = []
    for n in range(9):
        with HttpConn(port, timeout=10) as c:  # a new connection for each request
            resp = c.request("GET", f"/?{n}")
        assert resp.status == 200, resp
        pids.append(int(resp.body.split()[0]))
    counts = {pid: pids.count(pid) for pid in pids}
    assert len(counts) >= 3, counts
    assert max(counts.values()) <= 3 + 1, counts


def test_max_requests_under_load_never_fails_a_request(gantry, port):
    g = gantry.start(*ops_args(port, "--processes", "2", "--max-requests", "20",
                               "--max-requests-delta", "10"))
    first = set(g.wait_for_workers(2))

    lock = threading.Lock()
    pids, failures, done = [], [], threading.Event()

    def client():
        while not done.is_set():
            try:
                resp = g.request(path="/work", timeout=10)
                ok = resp.status == 200
            except (OSError, uwsgi_client.ProtocolError) as exc:
                resp, ok = exc, False
            with lock:
                if ok:
                    pids.append(int(resp.text.split("pid=")[1]))
                else:
                    failures.append(repr(resp))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        enough = wait_until(lambda: len(recycled_exits(g.log_text())) >= 3 and len(pids) >= 300,
                            10, interval=0.05)
    finally:
        done.set()
        for t in threads:
            t.join(15)
    log = g.log_text()
    assert enough, f"fewer than 3 recycles in 10 s ({len(pids)} requests)\n--- log ---\n{log}"
    assert failures == [], f"{len(failures)} requests failed: {failures[:5]}\n--- log ---\n{log}"
    assert set(pids) - first, "no request was served by a replacement worker"
    counts = {pid: pids.count(pid) for pid in pids}
    assert max(counts.values()) <= 30, f"over --max-requests 20 + delta 10: {counts}"
    for line in log.splitlines():
        stop = RECYCLED_STOP.search(line)
        if stop:
            assert re.fullmatch(r"served (2\d|30) requests \(--max-requests (2\d|30)\)",
                                stop.group(3)), line
    assert len(g.wait_for_workers(2)) == 2


RECYCLED_STOP = re.compile(r"stopping worker (\d+) \(pid (\d+)\): recycled: (.*)$")
RECYCLED_EXIT = re.compile(r"worker (\d+) \(pid (\d+)\) exited with code 0 \(recycled: ")


def recycled_exits(log):
    return [m for m in map(RECYCLED_EXIT.search, log.splitlines()) if m]


def test_max_worker_lifetime_spawns_the_replacement_before_stopping_the_old(gantry, port):
    g = gantry.start(*ops_args(port, "--processes", "1", "--max-worker-lifetime", "1"))
    [old] = g.wait_for_workers(1)

    stop_line = g.wait_for_log(rf"stopping worker 1 \(pid {old}\): recycled: ", regex=True)
    assert re.search(r"recycled: ran \d+ s \(--max-worker-lifetime 1\)$", stop_line), stop_line
    g.wait_for_log(rf"worker 1 \(pid {old}\) exited with code 0 \(recycled: ", regex=True)
    [new] = g.wait_for_workers(1, exclude=[old])
    resp = g.request(path="/after-recycle")
    assert resp.status == 200

    # The replacement comes first, so that the pool never lacks a worker (--processes 1).
    log = g.log_text()
    spawn = re.search(rf"spawned worker 1 \(pid {new},.*", log)
    assert spawn, log
    assert spawn.start() < log.index(stop_line), (
        f"old worker {old} was stopped before its replacement {new} was spawned:\n"
        f"  {stop_line}\n  {spawn.group(0)}")


def test_reload_on_rss_recycles_a_worker_that_grew(gantry, port):
    g = gantry.start(*ops_args(port, "--processes", "1", "--reload-on-rss", "48"))
    [old] = g.wait_for_workers(1)

    assert g.request(path="/grow").status == 200  # now at least 64 MB resident
    stop_line = g.wait_for_log(rf"stopping worker 1 \(pid {old}\): recycled: ", regex=True)
    m = re.search(r"recycled: uses (\d+) MB of memory \(--reload-on-rss 48\)$", stop_line)
    assert m and int(m.group(1)) >= 64, stop_line
    g.wait_for_log(rf"worker 1 \(pid {old}\) exited with code 0 \(recycled: ", regex=True)
    [new] = g.wait_for_workers(1, exclude=[old])
    assert g.request(path="/after-recycle").text == f"pid={new}\n"
    assert len(re.findall(r"stopping worker .*recycled: uses", g.log_text())) == 1, (
        f"only the worker that grew is recycled:\n{g.log_text()}")


def test_reload_on_rss_below_a_fresh_worker_does_not_fork_storm(gantry, port):
    # A limit every worker exceeds from birth (a misconfiguration): checked once a
    # second, this recycles a worker a second at most -- never a loop of forks.
    g = gantry.start(*ops_args(port, "--processes", "1", "--reload-on-rss", "1"))
    started = time.monotonic()
    spawned = wait_until(lambda: g.log_text().count("spawned worker") > 5, 2.5)
    elapsed = time.monotonic() - started
    count = g.log_text().count("spawned worker")
    assert not spawned, (f"{count} workers spawned within {elapsed:.2f}s of start with "
                         f"--reload-on-rss 1; first lines:\n"
                         + "\n".join(g.log_text().splitlines()[:12]))


def crash_app(tmp_path):
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "crash_at_start", app_dir)
    return app_dir


def test_worker_crashing_at_start_is_respawned_with_growing_delays(gantry, port, tmp_path):
    app_dir = crash_app(tmp_path)
    g = gantry.start("--module", "app:application", "--chdir", app_dir, "--lazy-apps",
                     "--socket", f"127.0.0.1:{port}", allow_log_errors=True)
    [worker] = g.wait_for_workers(1)

    (app_dir / "CRASH").write_text("exit3")  # every new worker now dies at import
    before = len(g.log_text().splitlines())
    killed = time.monotonic()
    os.kill(worker, signal.SIGKILL)
    # Three deaths in a row take 1 s + 2 s of back-off (a tight loop: a few ms).
    g.wait_for_log(r"exited with code 3 right after starting \(3 time\(s\) in a row\)",
                   regex=True, timeout=10)
    elapsed = time.monotonic() - killed

    after = g.log_text().splitlines()[before:]
    spawns = [line for line in after if "spawned worker 1 " in line]
    assert elapsed >= 2.5, f"three start-up crashes within {elapsed:.1f}s: no back-off"
    assert 1 <= len(spawns) <= 4, (f"{len(spawns)} spawns in {elapsed:.1f}s:\n"
                                   + "\n".join(after))
    quick = [re.search(r"\(pid \d+\) (.*) right after starting \((\d+) time\(s\) in a row\);"
                       r" respawning in (\d+) ms", line) for line in after]
    quick = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in quick if m]
    assert sum(how == "exited with code 3" for how, _, _ in quick) >= 2, "\n".join(after)
    counts = [c for _, c, _ in quick]
    delays = [d for _, _, d in quick]
    assert counts == list(range(counts[0], counts[0] + len(counts))), (
        f"the in-a-row count must grow by one: {counts}")
    assert all(b > a for a, b in zip(delays, delays[1:])), f"delays must grow: {delays}"
    assert delays[0] >= 1000, f"the first respawn waits about 1 s: {delays}"
    assert g.running, "the master keeps running while the worker crash-loops"


def test_lazy_app_import_error_exits_4_and_recovers(gantry, port, tmp_path):
    app_dir = crash_app(tmp_path)
    g = gantry.start("--module", "app:application", "--chdir", app_dir, "--lazy-apps",
                     "--socket", f"127.0.0.1:{port}", allow_log_errors=True)
    [worker] = g.wait_for_workers(1)

    (app_dir / "CRASH").write_text("raise")
    os.kill(worker, signal.SIGKILL)
    g.wait_for_log(r"worker 1 \(pid \d+\) exited with code 4 right after starting", regex=True)
    g.wait_for_log("RuntimeError: import-time failure requested by the CRASH file")

    (app_dir / "CRASH").unlink()  # fixed: the next respawn imports fine
    resp = g.request(path="/recovered", timeout=10)
    assert resp.status == 200
    assert g.running


def test_max_requests_last_keepalive_response_says_close(gantry, port):
    # The response to the request that reaches the limit tells a keep-alive client to close,
    # so that its next request is not sent on a connection the worker is about to drop.
    g = start_http(gantry, port, "--max-requests", "3")  # the readiness check was one
    [first] = g.wait_for_workers(1)
    with HttpConn(port, timeout=10) as c:
        second = c.request("GET", "/?2")
        last = c.request("GET", "/?3")
        assert second.header("Connection", "").lower() != "close", second.headers
        assert last.header("Connection", "").lower() == "close", last.headers
        assert int(last.body.split()[0]) == first
    [replacement] = g.wait_for_workers(1, exclude=[first])
    with HttpConn(port, timeout=10) as c:
        assert int(c.request("GET", "/?4").body.split()[0]) == replacement


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_max_requests_waits_while_a_failed_reload_leaves_no_replacement(gantry, port, tmp_path,
                                                                        extra):
    # A reload whose code cannot import leaves the old workers serving, and nothing could
    # replace them: they serve on past --max-requests instead of emptying the pool.
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "reload", app_dir)
    g = gantry.start("--module", "app:application", "--chdir", app_dir, "--processes", "1",
                     "--socket", f"127.0.0.1:{port}", "--max-requests", "4", *extra,
                     allow_log_errors=True)  # the failed reload is an error line
    [worker] = g.wait_for_workers(1)
    source = app_dir / "app.py"
    source.write_text(source.read_text() + '\nraise RuntimeError("broken deploy")\n')
    shutil.rmtree(app_dir / "__pycache__", ignore_errors=True)
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_log("RuntimeError: broken deploy")
    if extra:
        g.wait_for_log("reload failed: worker 1")
    for n in range(10):
        resp = g.request(path=f"/?{n}", timeout=5)
        assert resp.status == 200 and int(resp.text.split("pid=")[1]) == worker, resp
    assert g.worker_pids() == [worker]
