"""--http-socket with thousands of idle keep-alive connections on one worker: a parked
connection holds its socket and its deadline, not the buffers of a request (those go back to
the worker's pool between requests), so a new client is still answered, the idle ones still
work when they speak again, and what each costs the worker's memory stays small. The bound
below is memory, read from /proc (RSS), never a timing."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from http_client import HttpConn, served_by, start_http, timed_new_client
from procs import wait_until

IDLE = 2000
# Bytes of worker RSS per idle connection, at most (about 0.5 KiB measured; the request
# buffers a parked connection held before were about 30 KiB).
MAX_BYTES_PER_IDLE = 8 * 1024
SAMPLE_EVERY = 20  # the idle connections asked again afterwards: every 20th


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def sockets_held(pid: int) -> int:
    n = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            n += fd.readlink().name.startswith("socket:")
        except OSError:
            pass  # closed meanwhile
    return n


@pytest.fixture
def open_files():
    """This process may hold IDLE connections and a few more (restored afterwards)."""
    need = IDLE + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < need:
        pytest.skip(f"the hard limit on open files is {hard}, below the {need} this test holds")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_thousands_of_idle_connections_cost_little_and_keep_working(gantry, port, open_files):
    # Every connection on one worker: --max-connections and the descriptor limit above IDLE.
    g = start_http(gantry, port, "--processes", "1", "--max-connections", str(IDLE + 100),
                   "--max-fd", str(IDLE + 1024), "--http-keepalive-timeout", "300")
    worker = g.wait_for_workers(1)[0]
    # Warm-up: the heap, Python and the buffer pool reach their working size first.
    warm = [HttpConn(port) for _ in range(32)]
    try:
        for _ in range(4):
            for c in warm:
                assert c.request("GET", "/").status == 200
    finally:
        for c in warm:
            c.close()
    assert wait_until(lambda: sockets_held(worker) < 8, 5), "the warm-up connections stayed open"
    before = rss_bytes(worker)

    idle: list[HttpConn] = []
    try:
        for _ in range(IDLE):
            c = HttpConn(port, timeout=10)
            idle.append(c)
            resp = c.request("GET", "/")
            assert served_by(resp) == (worker, c.local_port)
        assert wait_until(lambda: sockets_held(worker) >= IDLE, 5), (
            f"the worker holds {sockets_held(worker)} sockets, not the {IDLE} idle connections")
        per_connection = (rss_bytes(worker) - before) / IDLE
        assert per_connection <= MAX_BYTES_PER_IDLE, (
            f"each idle connection costs the worker {per_connection:.0f} bytes of RSS "
            f"(at most {MAX_BYTES_PER_IDLE})")

        # (a) A new client is answered (within a generous deadline: not a timing check).
        timed_new_client(port, timeout=10)

        # (b) The idle ones still work: a sample of them asks again, on the same connection.
        for c in idle[::SAMPLE_EVERY]:
            assert served_by(c.request("GET", "/")) == (worker, c.local_port)
    finally:
        for c in idle:
            c.close()
