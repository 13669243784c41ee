"""--http-socket, the design promise: idle keep-alive connections are parked in the worker's
epoll set, so they never pin a worker, and a new client is served at once even while many
keep-alive clients keep every worker busy. Also timeouts, limits and the environ."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest

import uwsgi_client
from gantry_proc import free_ports
from procs import wait_until

from http_client import MiB, APP_DIR, ConnectionClosed, HttpConn, build_request, local_session, served_by, start_http, timed_new_client


LOAD_CLIENTS = 32
LOAD_SECONDS = 2.0
PROBES = 10
PROBE_LIMIT = 0.100  # ~3 ms in practice


def test_new_client_is_served_while_keepalive_clients_keep_the_workers_busy(gantry, port):
    g = start_http(gantry, port, "--processes", "2")
    workers = g.wait_for_workers(2)
    counts = [0] * LOAD_CLIENTS
    errors = []
    connected = threading.Semaphore(0)
    go = threading.Event()
    window = {}

    def client(i):
        try:
            with HttpConn(port) as c:
                connected.release()
                go.wait(10)
                while time.monotonic() < window["end"]:
                    resp = c.request("GET", "/")
                    assert served_by(resp)[1] == c.local_port
                    counts[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(f"client {i}: {exc!r}")
            connected.release()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(LOAD_CLIENTS)]
    for t in threads:
        t.start()
    for _ in threads:
        assert connected.acquire(timeout=5), "a load client could not connect"
    window["end"] = time.monotonic() + LOAD_SECONDS
    go.set()
    try:
        wait_until(lambda: all(counts), 1.0)
        before = list(counts)
        latencies = []
        for _ in range(PROBES):
            latencies.append(timed_new_client(port))
            time.sleep(0.1)  # spread the probes over the load
        after = list(counts)
        probes_in_window = time.monotonic() < window["end"]
    except BaseException:
        window["end"] = 0  # stop the load clients now
        raise
    finally:
        for t in threads:
            t.join(LOAD_SECONDS + 5)
    assert not errors, errors
    assert probes_in_window, "the load ended before the probes did: the check measured nothing"
    assert max(latencies) < PROBE_LIMIT, (
        f"a new client waited {max(latencies) * 1000:.1f} ms (all: "
        f"{[round(x * 1000, 1) for x in latencies]} ms) while {LOAD_CLIENTS} keep-alive clients ran")
    stalled = [i for i in range(LOAD_CLIENTS) if after[i] == before[i]]
    assert all(counts) and not stalled, (
        f"keep-alive clients starved: with no request at all {[i for i, n in enumerate(counts) if not n]}, "
        f"with none during the probes {stalled}; counts {counts}")
    assert g.worker_pids() == workers


# -- 7. idle keep-alive connections --------------------------------------------------


def test_idle_keepalive_connection_is_closed_after_the_timeout(gantry, port):
    start_http(gantry, port, "--http-keepalive-timeout", "1")
    with HttpConn(port) as c:
        # Requests 0.6 s apart: the timeout counts idle time, not the connection's age.
        for _ in range(3):
            assert served_by(c.request("GET", "/"))[1] == c.local_port
            time.sleep(0.6)
        assert served_by(c.request("GET", "/"))[1] == c.local_port
        took = c.wait_closed(3)
    assert took > 0.5, f"closed {took:.2f} s after the last response, with a 1 s keep-alive timeout"


def test_idle_connections_do_not_delay_a_new_client(gantry, port):
    start_http(gantry, port, "--processes", "1")
    with contextlib.ExitStack() as stack:
        idle = [stack.enter_context(HttpConn(port)) for _ in range(5)]
        for c in idle:  # each one served once, then parked
            assert served_by(c.request("GET", "/"))[1] == c.local_port
        silent = [stack.enter_context(HttpConn(port)) for _ in range(2)]  # never send a byte
        latencies = [timed_new_client(port) for _ in range(5)]
        assert max(latencies) < PROBE_LIMIT, (
            f"a new client waited {[round(x * 1000, 1) for x in latencies]} ms with "
            f"{len(idle)} idle keep-alive and {len(silent)} silent connections open, 1 worker")
        for c in idle:  # and they are still open and usable
            assert served_by(c.request("GET", "/"))[1] == c.local_port


def test_partial_request_head_does_not_pin_the_worker(gantry, port):
    """A client that sends half a request head is parked, not waited for by a thread."""
    start_http(gantry, port, "--processes", "1")
    with HttpConn(port) as slow:
        slow.send(b"GET /echo/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        latencies = [timed_new_client(port) for _ in range(3)]
        slow.send(b"done\r\n\r\n")
        resp = slow.read_response()
    assert max(latencies) < PROBE_LIMIT, (
        f"a new client waited {[round(x * 1000, 1) for x in latencies]} ms behind a half-sent head")
    assert (resp.status, resp.body) == (200, b"GET /echo/slow 0")


def test_request_threads_take_turns_on_keepalive_connections(gantry, port):
    """With --threads, whichever thread is free waits for the next request: three requests
    that can only finish together are served at once, and their connections, parked again,
    keep being served by any thread."""
    start_http(gantry, port, "--processes", "1", "--threads", "3")
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(HttpConn(port, timeout=10)) for _ in range(3)]
        for _ in range(2):
            for c in conns:
                c.send(build_request("GET", "/meet"))
            replies = [c.read_response() for c in conns]
            assert [(r.status, r.body) for r in replies] == [(200, b"met")] * 3
        for c in conns:
            assert served_by(c.request("GET", "/"))[1] == c.local_port


def test_many_connections_ready_at_once_are_all_served(gantry, port, tmp_path):
    """40 parked connections send their next request while the only request thread is
    held in the app: they all become ready in one poll, more than the ready queue first
    holds (16), and each must still get its own answer."""
    start_http(gantry, port, "--processes", "1", "--threads", "1")
    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(HttpConn(port, timeout=15))
        conns = [stack.enter_context(HttpConn(port, timeout=15)) for _ in range(40)]
        for c in conns:  # served once, then parked
            assert served_by(c.request("GET", "/"))[1] == c.local_port
        holder.send(build_request("GET", f"/hold?{tmp_path}"))
        assert wait_until(lambda: (tmp_path / "held").exists(), timeout=10)
        for c in conns:
            c.send(build_request("GET", "/"))
        (tmp_path / "release").touch()
        assert holder.read_response().body == b"released"
        for c in conns:
            assert served_by(c.read_response())[1] == c.local_port


# -- writes and reads on a busy connection -------------------------------------------


@pytest.mark.parametrize("rcvbuf", [None, 4096], ids=["reader", "slow-reader"])
def test_big_response_arrives_whole(gantry, port, rcvbuf):
    """8 MiB cannot go out in one send(): the request thread must wait for the client."""
    start_http(gantry, port)
    with HttpConn(port, rcvbuf=rcvbuf) as c:
        try:
            resp = c.request("GET", "/big")
        except ConnectionClosed as exc:
            pytest.fail(f"connection closed inside the 8 MiB response: {exc}")
        assert resp.status == 200
        assert len(resp.body) == 8 * MiB
        assert resp.body == (bytes(range(256)) * 256) * 128
        assert c.request("GET", "/echo/after-big").body == b"GET /echo/after-big 0"


def test_socket_timeout_bounds_a_stalled_body(gantry, port):
    """--socket-timeout 1: a client that stops inside its body is dropped after ~1 s,
    not at once (it may just be slow) and not never (it would hold the request thread)."""
    g = start_http(gantry, port, "--socket-timeout", "1")
    with HttpConn(port) as c:
        c.send(build_request("POST", "/upload", {"Content-Length": "100"}) + b"x" * 10)
        started = time.monotonic()
        try:
            answer = c.read_to_close()  # an error response before the close is fine
        except socket.timeout:
            pytest.fail("the connection was still open 3 s into a stalled body with --socket-timeout 1")
        except ConnectionResetError:
            answer = b""
        took = time.monotonic() - started
    assert not answer.startswith(b"HTTP/1.1 2"), answer[:300]
    assert took > 0.5, f"dropped {took * 1000:.0f} ms into a stalled body with --socket-timeout 1"
    g.wait_for_log(r"\] warning: .*POST /upload.*timed out", regex=True)


# -- 8. --limit-post, both kinds of listener -----------------------------------------


def test_limit_post_refuses_a_larger_content_length(gantry, port):
    start_http(gantry, port, "--limit-post", "1000")
    result = uwsgi_client.send_raw(f"127.0.0.1:{port}",
                                   build_request("POST", "/upload", body=b"x" * 2000), timeout=3)
    assert result.data, f"no response before the connection ended (reset: {result.reset})"
    resp = uwsgi_client.parse_response(result.data)
    assert resp.status == 413, result.data[:300]
    with HttpConn(port) as c:
        ok = c.request("POST", "/upload", body=b"y" * 1000)
        assert ok.status == 200, ok.raw
        assert json.loads(ok.body)["length"] == 1000
        calls = json.loads(c.request("GET", "/calls").body)
    assert calls == {"upload": 1}, "the refused request must not reach the app"


def test_http_socket_and_uwsgi_socket_together(gantry):
    uwsgi_port, http_port = free_ports(2)
    g = gantry.start("--module", "app:application", "--chdir", APP_DIR, "--processes", "1",
                     "--socket", f"127.0.0.1:{uwsgi_port}", "--http-socket", f"127.0.0.1:{http_port}")
    [worker] = g.wait_for_workers(1)
    with HttpConn(http_port) as c:
        for _ in range(3):
            # A parked keep-alive connection does not hold up the uwsgi listener, and back.
            assert served_by(c.request("GET", "/"))[0] == worker
            resp = g.request("GET", "/echo/uwsgi", timeout=3)
            assert (resp.status, resp.body) == (200, b"GET /echo/uwsgi 0")
    with local_session() as s:
        resp = s.get(f"http://127.0.0.1:{http_port}/echo/requests", timeout=3)
    assert (resp.status_code, resp.content) == (200, b"GET /echo/requests 0")


# -- the environ ---------------------------------------------------------------------


def test_environ_from_the_http_request(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/environ?a=1&b=%20", {"Host": "example.test:8080",
                                                       "X-Custom-Thing": "v1"})
        env = json.loads(resp.body)
        assert env["REMOTE_ADDR"] == "127.0.0.1"
        assert env["REMOTE_PORT"] == str(c.local_port)
        assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.test", "8080")
        assert env["HTTP_HOST"] == "example.test:8080"
        assert env["HTTP_X_CUSTOM_THING"] == "v1"
        assert (env["REQUEST_METHOD"], env["PATH_INFO"], env["QUERY_STRING"]) == (
            "GET", "/environ", "a=1&b=%20")
        assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
        assert env["wsgi.url_scheme"] == "http"
        assert "CONTENT_LENGTH" not in env or env["CONTENT_LENGTH"] in ("", "0")
    # No Host (HTTP/1.0): the local socket's address.
    with HttpConn(port) as c:
        c.send(build_request("GET", "/environ", version="HTTP/1.0", host=None))
        env = json.loads(c.read_response().body)
        assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("127.0.0.1", str(port))
        assert "HTTP_HOST" not in env
