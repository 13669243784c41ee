"""Slow and hostile clients (issue 13, the audit's findings 1, 2, 5, 6, 9, 10, 12 as they were
probed): no client, however slow, holds a request thread or a worker past the deadlines
(--http-header-timeout, --socket-timeout, --body-timeout, --send-timeout), and running out
of descriptors neither spins nor floods the log. Most tests run one worker with one thread,
the defaults, where a single held thread is an outage."""

from __future__ import annotations

import os
import resource
import socket
import statistics
import threading
import time
from contextlib import ExitStack

import pytest

import uwsgi_client
from http_client import MiB, HttpConn, build_request, start_http, timed_new_client
from procs import wait_until

TRICKLERS = 50
# What "not delayed" means for a normal client next to the tricklers.
MAX_DELAY = 0.1


class Trickler:
    """Connections that each send `opening` and then one more byte a second, until stopped."""

    def __init__(self, port: int, opening: bytes, count: int = TRICKLERS, byte: bytes = b"x"):
        self.socks = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(opening)
            self.socks.append(s)
        self.byte = byte
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.wait(1.0):
            for s in self.socks:
                try:
                    s.send(self.byte)
                except OSError:
                    pass  # cut off by a deadline: what the test is about

    def close(self):
        self.stopped.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def trickle_until_closed(sock: socket.socket, piece: bytes, every: float, limit: float):
    """Sends `piece` every `every` s until the server closes (or `limit` s pass); returns what
    it answered and how long that took."""
    started = time.monotonic()
    answer = b""
    while time.monotonic() - started < limit:
        try:
            sock.send(piece)
        except OSError:
            break
        sock.settimeout(every)
        try:
            got = sock.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        answer += got
        if not got:
            break
    return answer, time.monotonic() - started


def samples_of_a_normal_client(port: int, n: int = 5) -> list[float]:
    out = []
    for _ in range(n):
        out.append(timed_new_client(port))
        time.sleep(0.2)  # spread over more than one trickle round
    return out


def assert_not_delayed(samples: list[float], what: str):
    median = statistics.median(samples)
    assert median <= MAX_DELAY, (
        f"with {TRICKLERS} clients trickling {what}, a normal request took "
        f"{[round(s * 1000) for s in samples]} ms (median {median * 1000:.0f} ms)")


def test_trickled_heads_do_not_delay_a_normal_client(gantry, port):
    start_http(gantry, port)
    trickle = Trickler(port, b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
    try:
        assert_not_delayed(samples_of_a_normal_client(port), "request heads")
    finally:
        trickle.close()


@pytest.mark.parametrize("path", ["/", "/upload"], ids=["app-ignores-body", "app-reads-body"])
def test_trickled_bodies_do_not_delay_a_normal_client(gantry, port, path):
    """Finding 1: a body sent a byte a second held the only thread for days."""
    start_http(gantry, port)
    opening = build_request("POST", path, {"Content-Length": "65536"})
    trickle = Trickler(port, opening)
    try:
        assert_not_delayed(samples_of_a_normal_client(port), "request bodies")
    finally:
        trickle.close()


def test_refused_requests_left_open_do_not_delay_a_normal_client(gantry, port):
    """Finding 6: each 400 held the thread ~1 s in a lingering close."""
    g = start_http(gantry, port)
    with ExitStack() as stack:
        for _ in range(10):
            c = stack.enter_context(HttpConn(port))
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")  # then silence
        assert_not_delayed(samples_of_a_normal_client(port), "refused requests")
    g.wait_for_log("answered 400 and closed")


def test_a_trickled_head_gets_408_at_the_header_deadline(gantry, port):
    """Finding 5: the keep-alive timer restarted with every byte; the head deadline does not."""
    g = start_http(gantry, port, "--http-header-timeout", "2", "--http-keepalive-timeout", "1")
    with HttpConn(port, timeout=10) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n")
        # Well inside the keep-alive timeout each time.
        answer, took = trickle_until_closed(c.sock, b"X-Slow: y\r\n", every=0.3, limit=8)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert 1.5 <= took <= 4.0, f"408 after {took:.1f} s with --http-header-timeout 2"
    g.wait_for_log("head timed out: not complete within --http-header-timeout")


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_a_trickled_uwsgi_head_is_dropped_at_the_header_deadline(gantry, port, tmp_path, kind):
    """Finding 10: a uwsgi head a byte at a time held a thread as long as it kept coming."""
    address = f"127.0.0.1:{port}" if kind == "tcp" else str(tmp_path / "u.sock")
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", address, "--http-header-timeout", "2", "--socket-timeout", "4")
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/"))
    s = uwsgi_client.connect(address, timeout=10)
    with s:
        started = time.monotonic()
        for i in range(len(packet) - 1):  # never the last byte
            try:
                s.send(packet[i:i + 1])
            except OSError:
                break
            s.settimeout(0.5)
            try:
                if s.recv(4096) == b"":
                    break
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
        took = time.monotonic() - started
    assert 1.5 <= took <= 3.5, f"dropped after {took:.1f} s with --http-header-timeout 2"
    g.wait_for_log("head not complete within --http-header-timeout")


def test_a_silent_unix_client_does_not_hold_a_worker_that_also_speaks_http(gantry, port, tmp_path):
    """Finding 9: a uwsgi client on a unix socket, in a worker with an HTTP listener, had no
    timeout at all."""
    sock = str(tmp_path / "u.sock")
    g = start_http(gantry, port, "--socket", sock, "--socket-timeout", "1",
                   "--http-header-timeout", "2")
    s = uwsgi_client.connect(sock, timeout=10)
    with s:
        s.send(b"\x00\x10")  # two bytes of a header, then silence
        started = time.monotonic()
        s.settimeout(6)
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass
        took = time.monotonic() - started
    assert took <= 2.5, f"a silent unix client was dropped only after {took:.1f} s"
    assert timed_new_client(port) <= 1.0
    g.wait_for_log("timed out (--socket-timeout)")


def test_a_body_trickled_into_a_reading_app_is_cut_at_the_body_deadline(gantry, port):
    """The app reads the body: a client that moves a byte just inside --socket-timeout runs out
    of --body-timeout, and gets a 408 (the app had not answered yet)."""
    g = start_http(gantry, port, "--socket-timeout", "2", "--body-timeout", "3")
    with HttpConn(port, timeout=10) as c:
        # More than is received before the app runs, so the app reads the rest itself.
        c.send(build_request("POST", "/upload", {"Content-Length": str(MiB)}) + b"x" * 32768)
        answer, took = trickle_until_closed(c.sock, b"x", every=0.5, limit=10)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert 2.5 <= took <= 5.0, f"cut after {took:.1f} s with --body-timeout 3"
    g.wait_for_log("POST /upload", regex=False)


def test_a_small_body_that_stalls_is_cut_at_the_socket_timeout(gantry, port):
    """The body is waited for on the poller: a stall there gets the same --socket-timeout."""
    g = start_http(gantry, port, "--socket-timeout", "1")
    with HttpConn(port, timeout=6) as c:
        c.send(build_request("POST", "/upload", {"Content-Length": "100"}) + b"x" * 10)
        started = time.monotonic()
        answer = c.read_to_close()
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert took <= 3.0, f"a stalled body was dropped after {took:.1f} s with --socket-timeout 1"
    g.wait_for_log("request body timed out: nothing came for --socket-timeout")


def test_an_unread_body_still_coming_does_not_keep_the_thread(gantry, port):
    """The app answers without reading a large body that is still arriving: the response goes
    out, the connection is closed on the lingering closer's thread, the thread serves on."""
    start_http(gantry, port)
    with HttpConn(port, timeout=10) as c:
        c.send(build_request("POST", "/", {"Content-Length": str(MiB)}) + b"x" * 32768)
        resp = c.read_response()
        assert resp.status == 200
        assert timed_new_client(port) <= 0.5
        for _ in range(3):
            c.send(b"y" * 1000)  # still sending: read and dropped, then the close
        assert c.wait_closed(timeout=8) <= 7


def test_a_slow_reader_is_cut_at_the_send_deadline(gantry, port):
    """Finding 12: SO_SNDTIMEO alone let a reader taking a little every few seconds hold the
    thread for the whole 8 MiB."""
    start_http(gantry, port, "--socket-timeout", "1", "--send-timeout", "2")
    with HttpConn(port, timeout=10, rcvbuf=4096) as c:
        c.send(build_request("GET", "/big"))
        started = time.monotonic()
        received = 0
        while time.monotonic() - started < 15:
            try:
                got = c.sock.recv(1024)
            except ConnectionResetError:
                break
            if not got:
                break
            received += len(got)
            time.sleep(0.05)  # about 20 KiB/s: never a stall, always progress
        took = time.monotonic() - started
    assert received < 8 * MiB
    assert took <= 6.0, f"a slow reader kept the connection {took:.1f} s with --send-timeout 2"
    assert timed_new_client(port) <= 1.0


def test_connections_past_max_connections_wait_in_the_listen_queue(gantry, port):
    start_http(gantry, port, "--max-connections", "3", "--http-keepalive-timeout", "30")
    with ExitStack() as stack:
        held = [stack.enter_context(HttpConn(port)) for _ in range(3)]
        for c in held:
            assert c.request("GET", "/").status == 200  # accepted, now idle
        waiting = stack.enter_context(HttpConn(port, timeout=5))
        waiting.send(build_request("GET", "/"))
        waiting.sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            waiting.sock.recv(1)
        held[0].close()
        waiting.sock.settimeout(5)
        started = time.monotonic()
        resp = waiting.read_response()
        assert resp.status == 200
        assert time.monotonic() - started <= 1.5


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` (stat fields 14 and 15)."""
    raw = open(f"/proc/{pid}/stat").read()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_out_of_descriptors_backs_off_and_logs_little(gantry, port):
    """Finding 2: EMFILE in the poller was a busy loop writing ~160k log lines a second."""
    g = start_http(gantry, port)
    [worker] = g.wait_for_workers(1)
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (64, 64))
    with ExitStack() as stack:
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            stack.callback(s.close)
            s.sendall(b"GET / HTTP/1.1\r\n")  # parked, holding a descriptor
        g.wait_for_log("Too many open files")
        lines_before = g.log_text().count("Too many open files")
        cpu_before = cpu_seconds(worker)
        time.sleep(3)  # measuring what the worker does over a span of time
        lines = g.log_text().count("Too many open files") - lines_before
        cpu = cpu_seconds(worker) - cpu_before
    assert lines <= 5, f"{lines} 'Too many open files' lines in 3 s"
    assert cpu <= 0.5, f"the worker used {cpu:.2f} s of CPU in 3 s while out of descriptors"
    line = g.wait_for_log("Too many open files")
    assert "LimitNOFILE" in line, line
    # The held connections are gone: the worker accepts again.
    wait_until(lambda: timed_new_client(port, timeout=5) <= 1.0, timeout=15)


def test_socket_timeout_zero_is_refused(gantry):
    code, out = gantry.run("--module", "app", "--chdir", "examples/hello", "--socket", "127.0.0.1:1", "--socket-timeout", "0")
    assert code == 2, out
    assert "--socket-timeout" in out and "at least 1" in out, out
