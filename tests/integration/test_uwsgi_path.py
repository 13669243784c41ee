"""How the uwsgi listeners hand connections to workers: TCP_DEFER_ACCEPT (a worker only
takes a connection once its request is there); responses of any size and streams arrive
whole and on time; a response ends for the front before the app's close() runs."""

import os
import socket
import time

import pytest

import uwsgi_client
from paths import APPS


def uwsgi_args(address, *extra):
    return ("--module", "app:application", "--chdir", APPS / "uwsgi_path",
            "--socket", address, *extra)


def first_chunk_after(address, path):
    """Seconds from sending the request to the first body byte, and the whole response."""
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path=path))
    with uwsgi_client.connect(address, timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(packet)
        raw = b""
        first = None
        while chunk := sock.recv(65536):
            raw += chunk
            if first is None and b"\r\n\r\n" in raw and not raw.endswith(b"\r\n\r\n"):
                first = time.monotonic() - started
    return first, uwsgi_client.parse_response(raw)


@pytest.mark.parametrize("path", ["/stream", "/stream-with-length"])
def test_a_streamed_body_is_not_held_back(gantry, port, path):
    g = gantry.start(*uwsgi_args(f"127.0.0.1:{port}"))
    # Held back, "first" would wait for "later" (1 s on); the best of three keeps a busy
    # machine from making this flaky.
    waits = []
    for _ in range(3):
        first, resp = first_chunk_after(g.address, path)
        assert (resp.status, resp.body) == (200, b"firstlater")
        waits.append(first)
    assert min(waits) < 0.1, f"first chunk after {waits} s"


@pytest.mark.parametrize("size", [0, 1, 14, 1400, 65483, 65536, 300_000, 1 << 20])
def test_whole_responses_of_any_size_arrive_whole(gantry, port, size):
    g = gantry.start(*uwsgi_args(f"127.0.0.1:{port}"))
    resp = g.request("GET", "/", query=str(size))
    assert (resp.status, resp.header("Content-Length")) == (200, str(size))
    assert resp.body == bytes(i % 251 for i in range(size))
    # HEAD: the head alone, which does not complete the declared length.
    head = g.send_raw(uwsgi_client.encode_packet(
        uwsgi_client.nginx_vars(method="HEAD", query=str(size)))).data
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert f"Content-Length: {size}\r\n".encode() in head


def test_a_silent_connection_does_not_hold_the_only_worker(gantry, port):
    # Without TCP_DEFER_ACCEPT the worker would accept the silent connection and wait on
    # it for the whole --socket-timeout before the real request got its turn.
    g = gantry.start(*uwsgi_args(f"127.0.0.1:{port}", "--processes", "1",
                                 "--socket-timeout", "10"))
    with socket.create_connection(("127.0.0.1", port)):
        started = time.monotonic()
        resp = g.request("GET", "/", timeout=10)
        took = time.monotonic() - started
    assert resp.status == 200
    assert took < 2, f"the request waited {took:.1f} s behind a silent connection"


def test_the_response_ends_before_the_apps_close_runs(gantry, port, tmp_path):
    # The front sees the end of the response (EOF) while close() is still waiting; close()
    # is still called, and the worker serves on afterwards.
    g = gantry.start(*uwsgi_args(f"127.0.0.1:{port}", "--processes", "1"))
    packet = uwsgi_client.encode_packet(
        uwsgi_client.nginx_vars(path="/slow-close", query=str(tmp_path)))
    with uwsgi_client.connect(g.address, timeout=10) as sock:
        sock.sendall(packet)
        raw = b""
        while chunk := sock.recv(65536):  # would time out while close() waits
            raw += chunk
    resp = uwsgi_client.parse_response(raw)
    assert (resp.status, resp.body) == (200, b"done")
    assert not (tmp_path / "closed").exists()
    (tmp_path / "release").touch()
    deadline = time.monotonic() + 10
    while not (tmp_path / "closed").exists():
        assert time.monotonic() < deadline, "close() was never called"
        time.sleep(0.01)
    assert g.request("GET", "/", query="14").status == 200
