"""Request bodies: streamed, not buffered; --limit-post; a client that stalls.

The big upload goes through a real nginx to one worker, whose memory is read
from /proc while the body streams through it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

import uwsgi_client
from paths import APPS
from procs import wait_until

MiB = 1 << 20
UPLOAD_SIZE = 100 * MiB
RSS_GROWTH_LIMIT = 8 * MiB
# Under ASan (make test-sanitize) freed memory waits in its quarantine (256 MiB) instead of
# being reused, so RSS says nothing about streaming; the upload itself is still checked.
ASAN = os.environ.get("GANTRY_TEST_ASAN") == "1"

SITE = """
server {
    listen 127.0.0.1:1;
    client_max_body_size 200m;
    location / {
        include uwsgi_params;
        uwsgi_pass 127.0.0.1:1;
        %s
    }
}
"""


def uploads_app(port, *extra):
    return ("--module", "app:application", "--chdir", APPS / "uploads",
            "--socket", f"127.0.0.1:{port}", "--processes", "1", *extra)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class PeakRss:
    """The highest VmRSS of `pid` while in the `with` block: sampled every few ms, and
    from the kernel's own high-water mark (VmHWM, reset on entry through clear_refs)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._hwm_reset = False

    def __enter__(self):
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self._hwm_reset = True
        except OSError:
            pass
        self.start_rss = status_kib(self.pid, "VmRSS")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kib(self.pid, "VmRSS"))
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.end_rss = status_kib(self.pid, "VmRSS")
        self.peak = max(self.peak, self.end_rss)
        if self._hwm_reset:
            self.peak = max(self.peak, status_kib(self.pid, "VmHWM"))


def post_through_nginx(front, path: str, size: int, chunk: int = MiB) -> tuple[int, bytes, str]:
    """POST `size` random bytes with a Content-Length, streamed; returns (status, body, sha256)."""
    conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=60)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        digest = hashlib.sha256()
        left = size
        while left:
            block = os.urandom(min(chunk, left))
            digest.update(block)
            conn.send(block)
            left -= len(block)
        resp = conn.getresponse()
        return resp.status, resp.read(), digest.hexdigest()
    finally:
        conn.close()


@pytest.mark.parametrize("buffering", ["off", "on"])
def test_100_mib_upload_through_nginx_is_streamed(gantry, nginx, port, buffering):
    """With uwsgi_request_buffering off nginx relays the body as it arrives; with it on,
    nginx spools it to a temp file first and then sends it at full speed. Either way the
    worker must read it from the socket as the app asks, never hold it whole."""
    g = gantry.start(*uploads_app(port))
    site, _ = nginx.render(SITE % f"uwsgi_request_buffering {buffering};", f"127.0.0.1:{port}")
    front = nginx.start(site)
    [worker] = g.wait_for_workers(1)

    # Warm up: the first upload allocates whatever a request needs once.
    status, body, sha = post_through_nginx(front, "/upload", 2 * MiB)
    assert status == 200, body[:300]
    assert json.loads(body)["sha256"] == sha

    with PeakRss(worker) as rss:
        status, body, sha = post_through_nginx(front, "/upload", UPLOAD_SIZE)
    assert status == 200, body[:300]
    report = json.loads(body)
    assert report == {"length": UPLOAD_SIZE, "sha256": sha, "pid": worker}
    growth = rss.peak - rss.start_rss
    assert ASAN or growth < RSS_GROWTH_LIMIT, (
        f"worker RSS grew by {growth / MiB:.1f} MiB during a 100 MiB upload "
        f"({rss.start_rss / MiB:.1f} -> peak {rss.peak / MiB:.1f}, "
        f"end {rss.end_rss / MiB:.1f} MiB)")
    assert g.worker_pids() == [worker]


# -- --limit-post --------------------------------------------------------------------------

def calls(g) -> int:
    return json.loads(g.request(path="/calls").body)["upload"]


def test_limit_post_refuses_a_larger_body_before_the_app(gantry, port):
    g = gantry.start(*uploads_app(port, "--limit-post", "1000"))
    [worker] = g.wait_for_workers(1)
    assert calls(g) == 0

    resp = g.request("POST", "/upload", body=os.urandom(2000))
    assert resp.status == 413
    assert calls(g) == 0, "the app must not be called for a body over --limit-post"
    g.wait_for_log(r"413|limit|too large", regex=True)

    body = os.urandom(1000)
    resp = g.request("POST", "/upload", body=body)
    assert resp.status == 200, "a body of exactly --limit-post bytes is accepted"
    assert json.loads(resp.body)["sha256"] == hashlib.sha256(body).hexdigest()
    assert calls(g) == 1

    assert g.request(path="/").status == 200, "a request without a body is not affected"
    assert g.worker_pids() == [worker]


def test_limit_post_answers_without_reading_the_body(gantry, port):
    """Only the head is sent, announcing 2000 bytes: the 413 must come at once, not after
    waiting --socket-timeout (4 s) for a body that gantry does not need."""
    g = gantry.start(*uploads_app(port, "--limit-post", "1000"))
    pairs = uwsgi_client.nginx_vars("POST", "/upload", headers={"Content-Length": "2000"})
    head = uwsgi_client.encode_packet(pairs)
    started = time.monotonic()
    with uwsgi_client.connect(g.address, timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    took = time.monotonic() - started
    resp = uwsgi_client.parse_response(data)
    # RFC 9110's wording, as on --http-socket: one function builds every canned response.
    assert (resp.status, resp.reason, resp.body) == (413, "Content Too Large",
                                                     b"413 Content Too Large\n"), data
    assert took < 2.0, f"the 413 took {took:.2f} s: gantry waited for the body"
    assert calls(g) == 0


# A small body, then bodies larger than the socket buffers between nginx and gantry.
BODIES_RACING_NGINX = [2000] + [4 * MiB] * 8


@pytest.mark.parametrize("buffering", ["on", "off"])
def test_limit_post_through_nginx_with_a_large_body(gantry, nginx, port, buffering):
    """nginx is still sending the body when gantry answers 413: the browser must get the
    413, not a 502 because gantry closed (or reset) the connection under nginx's write."""
    g = gantry.start(*uploads_app(port, "--limit-post", "1000"))
    site, _ = nginx.render(SITE % f"uwsgi_request_buffering {buffering};", f"127.0.0.1:{port}")
    front = nginx.start(site)
    # Whether nginx sees the early answer or a broken pipe is a race: try a few times.
    statuses = [post_through_nginx(front, "/upload", size)[0] for size in BODIES_RACING_NGINX]
    assert statuses == [413] * len(statuses), (
        f"bodies of {BODIES_RACING_NGINX} bytes over --limit-post 1000 through nginx got "
        f"{statuses}\n--- nginx error log ---\n{front.error_log.read_text()[-1500:]}")
    assert calls(g) == 0


@pytest.mark.parametrize("buffering", ["on", "off"])
def test_body_the_app_does_not_read_through_nginx(gantry, nginx, port, buffering):
    """PEP 3333 does not make an app read wsgi.input (think of a 403 for an upload): the
    response must still reach the client, not a 502 because the unread body was reset."""
    gantry.start(*uploads_app(port))
    site, _ = nginx.render(SITE % f"uwsgi_request_buffering {buffering};", f"127.0.0.1:{port}")
    front = nginx.start(site)
    replies = [post_through_nginx(front, "/calls", size)[:2] for size in BODIES_RACING_NGINX]
    statuses = [status for status, _ in replies]
    assert statuses == [200] * len(statuses), (
        f"bodies of {BODIES_RACING_NGINX} bytes that the app did not read, through nginx, got "
        f"{statuses}\n--- nginx error log ---\n{front.error_log.read_text()[-1500:]}")
    assert all(json.loads(body) == {"upload": 0} for _, body in replies)


# -- clients that stop sending -------------------------------------------------------------

def test_stalled_body_times_out_with_one_warning(gantry, port):
    g = gantry.start(*uploads_app(port, "--socket-timeout", "1"))
    [worker] = g.wait_for_workers(1)
    mark = len(g.log_text())
    pairs = uwsgi_client.nginx_vars("POST", "/read-all", headers={"Content-Length": "100"})
    with uwsgi_client.connect(g.address, timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(uwsgi_client.encode_packet(pairs, b"0123456789"))
        # Keep our end open and silent: only gantry's timeout can end the request.
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        took = time.monotonic() - started
    assert 0.8 <= took <= 3.0, f"the stalled request ended after {took:.2f} s (--socket-timeout 1)"
    assert not received.startswith(b"HTTP/1.1 200"), received[:200]

    def new_lines():
        return g.log_text()[mark:].splitlines()
    warned = wait_until(lambda: [l for l in new_lines() if re.search(r"\] warning: ", l)], 5)
    assert warned, f"no warning for the stalled request\n--- log ---\n{g.log_text()[mark:]}"
    assert len(warned) == 1, f"one line, not {len(warned)}: {warned}"
    assert "Traceback" not in g.log_text(), "a stalled client is not an application error"

    assert g.worker_pids() == [worker], "the worker lives on"
    body = os.urandom(5000)
    resp = g.request("POST", "/upload", body=body)
    assert resp.status == 200
    assert json.loads(resp.body) == {"length": 5000, "sha256": hashlib.sha256(body).hexdigest(),
                                     "pid": worker}


def test_client_that_closes_mid_body(gantry, port):
    """Half the body, then the client closes: no traceback, no error, the worker lives on."""
    g = gantry.start(*uploads_app(port))
    [worker] = g.wait_for_workers(1)
    pairs = uwsgi_client.nginx_vars("POST", "/upload", headers={"Content-Length": str(4 * MiB)})
    with uwsgi_client.connect(g.address, timeout=10) as sock:
        sock.sendall(uwsgi_client.encode_packet(pairs, os.urandom(2 * MiB)))
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
    assert wait_until(lambda: g.request(path="/").status == 200, 5)
    assert g.worker_pids() == [worker]
    assert "Traceback" not in g.log_text(), g.log_text()
