"""Signals to the master besides reloads (test_reload.py): graceful and immediate stop,
pool size, log reopening.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import time

from procs import wait_until
from reload_app import SlowRequest, copy_app


def test_sigterm_finishes_in_flight_request_and_cleans_up(gantry, tmp_path):
    app_dir = copy_app(tmp_path)
    sock = tmp_path / "g.sock"
    pidfile = tmp_path / "g.pid"
    g = gantry.start("--module", "app:application", "--chdir", app_dir, "--socket", sock,
                     "--processes", "2", "--pidfile", pidfile, "--chmod-socket", "666")
    assert int(pidfile.read_text().strip()) == g.pid
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o666, "--chmod-socket 666"

    request = SlowRequest(g, 1)
    signalled = time.monotonic()
    g.stop(signal.SIGTERM, expect_code=0)
    stopped_after = time.monotonic() - signalled
    resp = request.join().response()
    assert resp.status == 200
    assert resp.text.startswith("v1 pid=")
    assert stopped_after < 5, f"graceful stop of a 1 s request took {stopped_after:.1f}s"
    assert not sock.exists(), "the unix socket file must be removed after SIGTERM"
    assert not pidfile.exists(), "the pidfile must be removed after SIGTERM"


def test_sigint_stops_at_once(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    g = gantry.start("--module", "app:application", "--chdir", app_dir,
                     "--socket", f"127.0.0.1:{port}")
    request = SlowRequest(g, 5)
    g.stop(signal.SIGINT, expect_code=0)
    request.join()
    assert request.elapsed < 4, "SIGINT must not wait for the 5 s request"
    assert b" 200 " not in request.raw, "the request was cut, not completed"


def test_sigttin_sigttou_change_the_worker_count(gantry, port):
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--processes", "2")
    two = g.wait_for_workers(2)

    os.kill(g.pid, signal.SIGTTIN)
    three = g.wait_for_workers(3)
    assert set(two) < set(three), "growing keeps the existing workers"
    g.wait_for_log("SIGTTIN: 2 -> 3 workers")

    os.kill(g.pid, signal.SIGTTIN)
    four = g.wait_for_workers(4)
    g.wait_for_log("SIGTTIN: 3 -> 4 workers")

    os.kill(g.pid, signal.SIGTTOU)
    g.wait_for_log("SIGTTOU: 4 -> 3 workers")
    three = g.wait_for_workers(3)
    assert set(three) < set(four), "shrinking stops one worker, keeps the others"
    gone = (set(four) - set(three)).pop()
    g.wait_for_log(rf"\(pid {gone}\) exited with code 0\b", regex=True)

    # One at a time: two identical signals sent back to back may arrive as one.
    os.kill(g.pid, signal.SIGTTOU)
    g.wait_for_log("SIGTTOU: 3 -> 2 workers")
    os.kill(g.pid, signal.SIGTTOU)
    g.wait_for_log("SIGTTOU: 2 -> 1 workers")
    one = g.wait_for_workers(1)
    assert set(one) < set(three)

    for _ in range(10):
        assert g.request().status == 200
    assert g.worker_pids() == one


def test_sigusr1_reopens_the_log_file(gantry, port, tmp_path):
    logfile = tmp_path / "gantry.log"
    rotated = tmp_path / "gantry.log.1"
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--processes", "2", "--logto", logfile)
    assert g.request(path="/before-rotate").status == 200
    assert wait_until(lambda: "GET /before-rotate" in logfile.read_text(), 5), logfile.read_text()

    logfile.rename(rotated)  # what logrotate does
    os.kill(g.pid, signal.SIGUSR1)
    assert wait_until(logfile.exists, 5), "SIGUSR1 did not create a new log file"

    g.requests_reach(logfile, workers=2)  # both workers: each must have reopened the file
    new_text = logfile.read_text()
    assert "GET /before-rotate" not in new_text
    assert "SIGUSR1: reopening log files" in rotated.read_text()
    assert not [line for line in new_text.splitlines() if "error" in line.lower()], new_text


def test_sigusr1_does_not_kill_a_worker_that_is_still_starting(gantry, port, tmp_path):
    """logrotate may signal at any moment, also while a worker imports the app."""
    app_dir = copy_app(tmp_path, "slow_import")
    logfile = tmp_path / "gantry.log"
    g = gantry.start("--module", "app:application", "--chdir", app_dir, "--lazy-apps",
                     "--socket", f"127.0.0.1:{port}", "--processes", "1", "--logto", logfile)
    [first] = g.wait_for_workers(1)
    (app_dir / "SLOW").write_text("1")

    os.kill(g.pid, signal.SIGTTIN)  # worker 2 imports for 1 s
    line = wait_until(lambda: re.search(r"slow import started in pid (\d+)", logfile.read_text()),
                      10)
    assert line, logfile.read_text()
    starting = int(line.group(1))
    os.kill(g.pid, signal.SIGUSR1)

    def outcome():
        log = logfile.read_text()
        return (f"slow import finished in pid {starting}" in log
                or f"(pid {starting}) killed by signal" in log)

    assert wait_until(outcome, 10), logfile.read_text()
    log = logfile.read_text()
    assert "SIGUSR1: reopening log files" in log
    assert f"(pid {starting}) killed by signal" not in log, (
        f"SIGUSR1 killed worker {starting} while it was starting:\n{log}")
    two = g.wait_for_workers(2, timeout=10)
    assert sorted(two) == sorted([first, starting]), f"{two} != {[first, starting]}\n{log}"
