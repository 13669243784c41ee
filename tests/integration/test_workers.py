"""The worker pool: its size, and respawning a worker that was killed."""

import os
import re
import signal

from procs import is_running, read_stat, wait_until

HELLO = b"Hello, World!\n"


def pool_args(port, processes):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", "--processes", str(processes))


def test_processes_4_gives_four_workers(gantry, port):
    g = gantry.start(*pool_args(port, 4))
    workers = g.wait_for_workers(4)
    assert len(set(workers)) == 4
    assert g.pid not in workers
    for pid in workers:
        assert read_stat(pid).ppid == g.pid, "workers are direct children of the master"


def test_workers_alias_and_short_flag(gantry, port):
    g = gantry.start("-w", "app:application", "--chdir", "examples/hello",
                     "-s", f"127.0.0.1:{port}", "--workers=3")
    g.wait_for_workers(3)


def test_killed_worker_is_logged_and_respawned(gantry, port):
    g = gantry.start(*pool_args(port, 4), allow_log_errors=True)  # a killed worker is an error
    before = g.wait_for_workers(4)
    victim = before[1]

    os.kill(victim, signal.SIGKILL)

    after = g.wait_for_workers(4, exclude=[victim])
    assert len(set(after) - set(before)) == 1, f"exactly one new worker: {before} -> {after}"
    assert set(before) - {victim} <= set(after), "the other workers must be untouched"
    assert wait_until(lambda: not is_running(victim), 5), "the killed worker is reaped"

    for _ in range(40):
        resp = g.request()
        assert (resp.status, resp.body) == (200, HELLO)

    line = g.wait_for_log(rf"\b{victim}\b.*(SIGKILL|signal 9\b|\bKILL\b)", regex=True)
    assert re.search(r"SIGKILL|signal 9|KILL", line)
    assert g.pid == g.proc.pid and g.running
