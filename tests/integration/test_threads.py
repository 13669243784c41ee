"""--threads N: request threads in one worker, the GIL released while they wait, and the
app's own Python threads running between requests."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

import uwsgi_client
from paths import APPS
from procs import wait_until

SLEEP = 0.5  # what /sleep takes in the app


def threads_app(port, *extra):
    return ("--module", "app:application", "--chdir", APPS / "threads",
            "--socket", f"127.0.0.1:{port}", "--processes", "1", *extra)


def get_json(g, path, **kwargs):
    resp = g.request(path=path, **kwargs)
    assert resp.status == 200, resp.raw[:300]
    return json.loads(resp.body)


def test_four_threads_serve_four_slow_requests_at_once(gantry, port):
    g = gantry.start(*threads_app(port, "--threads", "4"))
    [worker] = g.wait_for_workers(1)
    results, errors = [], []
    go = threading.Barrier(4)

    def one():
        try:
            go.wait()
            results.append(get_json(g, "/sleep"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    clients = [threading.Thread(target=one) for _ in range(4)]
    started = time.monotonic()
    for c in clients:
        c.start()
    for c in clients:
        c.join(15)
    took = time.monotonic() - started
    assert not errors, errors
    assert len(results) == 4
    assert {r["pid"] for r in results} == {worker}, "one worker served them all"
    assert len({r["thread"] for r in results}) == 4, "each request had its own thread"
    # Four 0.5 s requests one after another would take 2 s.
    assert took < 1.5, f"four concurrent {SLEEP} s requests took {took:.2f} s with --threads 4"


@pytest.mark.parametrize("threads, expected", [(None, False), ("1", False), ("4", True)])
def test_wsgi_multithread(gantry, port, threads, expected):
    extra = ("--threads", threads) if threads else ()
    g = gantry.start(*threads_app(port, *extra))
    flags = get_json(g, "/wsgi")
    assert flags["wsgi.multithread"] is expected
    assert flags["wsgi.multiprocess"] is False, "--processes 1"
    assert flags["wsgi.run_once"] is False


def ticks_advance(g, name: str) -> tuple[dict, dict | None]:
    first = get_json(g, "/ticks")
    later = wait_until(lambda: (lambda r: r if r["ticks"][name] > first["ticks"][name] else None)(
        get_json(g, "/ticks")), 2.0)
    return first, later


def test_thread_started_at_import_is_reported(gantry, port):
    """The app is imported in the master, and threads do not survive fork() (as with
    gunicorn --preload): gantry says so at start-up instead of letting them vanish."""
    g = gantry.start(*threads_app(port))
    g.wait_for_workers(1)
    assert get_json(g, "/ticks")["alive"]["import"] is False
    assert "thread(s) while it was imported in the master" in g.log_text()


@pytest.mark.parametrize("threads", ["1", "4"])
def test_thread_started_by_a_request_keeps_running(gantry, port, threads):
    """Between requests the worker waits in accept(): without the GIL, so this thread runs."""
    g = gantry.start(*threads_app(port, "--threads", threads))
    get_json(g, "/start-ticker")
    first, later = ticks_advance(g, "request")
    assert first["alive"]["request"] is True
    assert later, f"the app's thread did not tick between requests: {first}"


def test_thread_waiting_for_a_slow_body_leaves_the_gil(gantry, port):
    """One request thread blocks reading a body that arrives late; the other serves."""
    g = gantry.start(*threads_app(port, "--threads", "2"))
    pairs = uwsgi_client.nginx_vars("POST", "/read-all", headers={"Content-Length": "100"})
    with uwsgi_client.connect(g.address, timeout=10) as slow:
        slow.sendall(uwsgi_client.encode_packet(pairs, b"x" * 10))
        assert wait_until(lambda: get_json(g, "/ticks")["reading"] == 1, 3), (
            "the slow request never reached the app")
        started = time.monotonic()
        for _ in range(3):
            get_json(g, "/", timeout=3)
        took = time.monotonic() - started
        slow.sendall(b"y" * 90)
        data = b""
        while chunk := slow.recv(65536):
            data += chunk
    assert took < 1.0, f"3 requests took {took:.2f} s while another thread waited for its body"
    resp = uwsgi_client.parse_response(data)
    assert (resp.status, json.loads(resp.body)) == (200, {"length": 100})


def test_thread_blocked_writing_to_a_slow_reader_leaves_the_gil(gantry, port):
    """A client that does not read a 32 MiB response: its thread blocks in send(), the
    other one serves; when the client goes away the worker lives on, with no traceback."""
    g = gantry.start(*threads_app(port, "--threads", "2"))
    [worker] = g.wait_for_workers(1)
    with uwsgi_client.connect(g.address, timeout=10) as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(uwsgi_client.encode_packet(uwsgi_client.nginx_vars("GET", "/big")))
        last = {"chunks": -1}

        def stuck():
            # The response has stopped moving: the socket buffers are full.
            chunks = get_json(g, "/ticks", timeout=3)["big_chunks"]
            settled = chunks > 0 and chunks == last["chunks"]
            last["chunks"] = chunks
            return settled
        assert wait_until(stuck, 3, interval=0.05), f"/big never stalled: {last}"
        assert last["chunks"] < 512, "the whole response fit in the socket buffers"
        started = time.monotonic()
        for _ in range(3):
            get_json(g, "/", timeout=3)
        took = time.monotonic() - started
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert took < 1.0, f"3 requests took {took:.2f} s while another thread was blocked in send()"
    assert wait_until(lambda: get_json(g, "/")["pid"] == worker, 3)
    assert g.worker_pids() == [worker]
    assert "Traceback" not in g.log_text()
