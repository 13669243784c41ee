"""--http-socket: HTTP/1.1 straight from clients, over raw sockets (and `requests`).

Each test runs its own gantry on a free loopback port with tests/integration/apps/http.
Besides the protocol (keep-alive, pipelining, chunked bodies both ways, 100-continue,
errors), the design promise is checked: idle keep-alive connections are parked by the
worker's I/O thread, so they never pin a worker and a new client is served at once even
while many keep-alive clients keep every worker busy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import threading
import time

import pytest
import requests

import uwsgi_client
from gantry_proc import Gantry, free_ports
from paths import APPS, REPO
from procs import wait_until

APP_DIR = APPS / "http"
GEN_BODY = b"alpha,beta," + b"gamma" * 1000 + b",end\n"  # what /gen yields, joined
LIST_BODY = b"one,two,three\n"  # what /list returns
MiB = 1 << 20


# -- a small HTTP/1.1 client that keeps its connection --------------------------------


class ConnectionClosed(Exception):
    pass


def build_request(method: str = "GET", path: str = "/", headers=(), body: bytes = b"",
                  version: str = "HTTP/1.1", host: str | None = "127.0.0.1") -> bytes:
    """A request as bytes; Host and (for a body) Content-Length unless given in `headers`."""
    headers = list(headers.items() if isinstance(headers, dict) else headers)
    names = {name.lower() for name, _ in headers}
    if host is not None and "host" not in names:
        headers.insert(0, ("Host", host))
    if body and not names & {"content-length", "transfer-encoding"}:
        headers.append(("Content-Length", str(len(body))))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


class HttpConn:
    """One client connection to 127.0.0.1:`port`; responses are read strictly, in order.

    Every read waits at most `timeout` seconds (gantry answers in milliseconds).
    """

    def __init__(self, port: int, timeout: float = 3.0, rcvbuf: int | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect(("127.0.0.1", port))
        except BaseException:
            self.sock.close()
            raise
        self.buf = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    @property
    def local_port(self) -> int:
        return self.sock.getsockname()[1]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed(f"the server closed the connection; {len(self.buf)} bytes "
                                   f"unparsed: {bytes(self.buf[:80])!r}")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _read_until(self, sep: bytes) -> bytes:
        while (i := self.buf.find(sep)) < 0:
            self._fill()
        return self._take(i + len(sep))[:-len(sep)]

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        return self._take(n)

    def read_to_close(self) -> bytes:
        while True:
            try:
                self._fill()
            except ConnectionClosed:
                return self._take(len(self.buf))

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self._read_until(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while self._read_until(b"\r\n"):  # trailer fields, up to the empty line
                    pass
                return bytes(body)
            body += self._read_exact(size)
            crlf = self._read_exact(2)
            if crlf != b"\r\n":
                raise uwsgi_client.ProtocolError(f"chunk of {size} bytes not followed by CRLF: {crlf!r}")

    def read_response(self, head_only: bool = False) -> uwsgi_client.Response:
        """The next response (a 1xx one too); `head_only` for the answer to a HEAD."""
        head = self._read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"^(HTTP/1\.[01]) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise uwsgi_client.ProtocolError(f"bad status line: {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise uwsgi_client.ProtocolError(f"bad header line: {line!r}")
            headers.append((name.strip(), value.strip()))
        resp = uwsgi_client.Response(int(m.group(2)), m.group(3) or "", m.group(1), headers, b"", head)
        te = resp.header("Transfer-Encoding", "").lower()
        length = resp.header("Content-Length")
        if head_only or resp.status < 200 or resp.status in (204, 304):
            pass
        elif "chunked" in te:
            resp.body = self._read_chunked()
        elif length is not None:
            resp.body = self._read_exact(int(length))
        else:
            resp.body = self.read_to_close()
        return resp

    def request(self, method: str = "GET", path: str = "/", headers=(), body: bytes = b"",
                version: str = "HTTP/1.1") -> uwsgi_client.Response:
        self.send(build_request(method, path, headers, body, version))
        return self.read_response(head_only=method == "HEAD")

    def wait_closed(self, timeout: float) -> float:
        """Seconds until the server closes the connection; fails if it sends or stays open."""
        assert not self.buf, f"unread bytes before the close: {bytes(self.buf[:200])!r}"
        started = time.monotonic()
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            pytest.fail(f"the server kept the connection open for {timeout} s")
        except ConnectionResetError:
            data = b""
        assert data == b"", f"expected the server to close the connection, got {data[:200]!r}"
        return time.monotonic() - started


def served_by(resp: uwsgi_client.Response) -> tuple[int, int]:
    """(worker pid, client port) from the body of the app's "/"."""
    assert resp.status == 200, resp.raw[:300]
    pid, remote_port = resp.body.split()
    return int(pid), int(remote_port)


def timed_new_client(port: int, timeout: float = 3.0) -> float:
    """Seconds a new client takes to connect and get the answer to one request."""
    started = time.monotonic()
    try:
        with HttpConn(port, timeout=timeout) as c:
            resp = c.request("GET", "/")
    except socket.timeout:
        pytest.fail(f"a new client got no answer within {timeout} s")
    took = time.monotonic() - started
    assert resp.status == 200, resp.raw[:300]
    return took


# -- gantry with an HTTP listener -----------------------------------------------------


class HttpGantry(Gantry):
    """A Gantry whose readiness check is an HTTP request to its --http-socket."""

    def _wait_ready(self, path: str, timeout: float) -> None:
        host, _, port = self.address.rpartition(":")
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gantry exited with code {self.proc.returncode} before it was ready\n"
                            f"args: {self.args}\n--- log ---\n{self.log_text()}")
            try:
                with HttpConn(int(port), timeout=max(0.5, deadline - time.monotonic())) as c:
                    resp = c.request("GET", path)
                if resp.status == 200:
                    self.worker_pids()  # record the workers for the survivor check
                    return
                last_error = f"status {resp.status}"
            except (OSError, ConnectionClosed, uwsgi_client.ProtocolError) as exc:
                last_error = exc
            time.sleep(0.05)
        pytest.fail(f"gantry not ready after {timeout}s on {self.address} (last error: {last_error!r})\n"
                    f"args: {self.args}\n--- log ---\n{self.log_text()}")


def start_http(gantry, port: int, *extra, **kwargs) -> HttpGantry:
    """gantry (the fixture's factory) serving apps/http on --http-socket 127.0.0.1:`port`."""
    g = HttpGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)  # stopped and checked for error lines by the fixture
    return g.start("--module", "app:application", "--chdir", APP_DIR,
                   "--http-socket", f"127.0.0.1:{port}", *extra,
                   address=f"127.0.0.1:{port}", **kwargs)


def local_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback only
    return session


# -- 1. keep-alive -------------------------------------------------------------------


def test_1000_requests_on_one_keepalive_connection(gantry, port):
    g = start_http(gantry, port)
    [worker] = g.wait_for_workers(1)
    with HttpConn(port) as c:
        seen = set()
        for i in range(1000):
            resp = c.request("GET", "/")
            assert resp.header("Connection", "").lower() != "close", f"request {i}: {resp.raw!r}"
            seen.add(served_by(resp))
        assert seen == {(worker, c.local_port)}, (
            "every request must come on the same connection (REMOTE_PORT = our port) "
            f"to the one worker; saw (pid, REMOTE_PORT) {sorted(seen)[:10]}")


# -- 2. pipelining -------------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        c.send(build_request("GET", "/echo/1")
               + build_request("GET", "/gen")
               + build_request("POST", "/echo/3", body=b"x" * 3000))
        first, second, third = (c.read_response() for _ in range(3))
        assert (first.status, first.body) == (200, b"GET /echo/1 0")
        assert (second.status, second.body) == (200, GEN_BODY)
        assert (third.status, third.body) == (200, b"POST /echo/3 3000")
        # Nothing more came, and the connection is still good.
        again = c.request("GET", "/echo/4")
        assert (again.status, again.body) == (200, b"GET /echo/4 0")


# -- 3. request bodies ---------------------------------------------------------------


def test_chunked_upload_with_extension_and_trailer(gantry, port):
    start_http(gantry, port)
    pieces = [os.urandom(n) for n in (1, 4096, 65536 + 7, 100_000, 3)]
    body = b"".join(pieces)
    wire = bytearray()
    for i, piece in enumerate(pieces):
        ext = ";name=value" if i == 1 else ""
        wire += f"{len(piece):x}{ext}\r\n".encode() + piece + b"\r\n"
    wire += b"0\r\nX-Trailer: yes\r\n\r\n"
    with HttpConn(port) as c:
        c.send(build_request("POST", "/upload", {"Transfer-Encoding": "chunked"}) + bytes(wire))
        resp = c.read_response()
        assert resp.status == 200, resp.raw[:300] + resp.body[:300]
        got = json.loads(resp.body)
        assert got["length"] == len(body)
        assert got["sha256"] == hashlib.sha256(body).hexdigest()
        assert got["has_content_length"] is False, (
            f"CONTENT_LENGTH={got['CONTENT_LENGTH']!r} for a chunked body")
        # The trailer was consumed with the body: the connection goes on cleanly.
        again = c.request("GET", "/echo/after")
        assert (again.status, again.body) == (200, b"GET /echo/after 0")


def test_content_length_upload_of_1_mib(gantry, port):
    start_http(gantry, port)
    body = os.urandom(MiB)
    with local_session() as s:
        resp = s.post(f"http://127.0.0.1:{port}/upload", data=body, timeout=3)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.json() == {"length": MiB, "sha256": hashlib.sha256(body).hexdigest(),
                           "CONTENT_LENGTH": str(MiB), "has_content_length": True}


def test_expect_100_continue_gets_the_interim_response_first(gantry, port):
    start_http(gantry, port)
    body = os.urandom(10_000)
    with HttpConn(port, timeout=3) as c:
        c.send(build_request("POST", "/upload", {"Content-Length": str(len(body)),
                                                 "Expect": "100-continue"}))
        interim = c.read_response()  # nothing of the body sent yet: this must come first
        assert (interim.version, interim.status) == ("HTTP/1.1", 100), interim.raw
        c.send(body)
        final = c.read_response()
        assert final.status == 200, final.raw
        assert json.loads(final.body)["sha256"] == hashlib.sha256(body).hexdigest()
        assert c.request("GET", "/echo/next").body == b"GET /echo/next 0"


# -- 4. bad requests -----------------------------------------------------------------


BAD_REQUESTS = {
    # name: (bytes, status, what the warning says)
    "16-KiB-header": (build_request("GET", "/", {"X-Big": "b" * 16384}), 431, r"larger than"),
    "16-KiB-request-line": (build_request("GET", "/" + "p" * 16384), 431, r"larger than"),
    "garbage-request-line": (b"GARBAGE\r\nHost: x\r\n\r\n", 400, r"malformed"),
    "header-without-colon": (b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, r"malformed"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_request_is_answered_and_closed(gantry, port, case):
    data, status, reason = BAD_REQUESTS[case]
    g = start_http(gantry, port, "--processes", "2")
    workers = g.wait_for_workers(2)

    result = uwsgi_client.send_raw(f"127.0.0.1:{port}", data, timeout=3)  # reads until close
    assert result.data, f"no response before the connection ended (reset: {result.reset})"
    resp = uwsgi_client.parse_response(result.data)
    assert resp.status == status, result.data[:300]
    assert resp.header("Connection", "").lower() == "close", resp.raw[:300]

    g.wait_for_log(rf"\] warning: .*{reason}.*\b{status}\b", regex=True)
    for _ in range(4):
        with HttpConn(port) as c:
            assert served_by(c.request("GET", "/"))[0] in workers
    assert g.worker_pids() == workers, "no worker may die on a bad request"


# -- 5. closing, HTTP/1.0, response framing ------------------------------------------


def test_connection_close_is_honoured(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/", {"Connection": "close"})
        assert resp.status == 200
        assert resp.header("Connection", "").lower() == "close", resp.raw
        c.wait_closed(2)


def test_http10_without_keepalive_is_closed_after_the_response(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/echo/ten", version="HTTP/1.0")
        assert (resp.status, resp.body) == (200, b"GET /echo/ten 0")
        c.wait_closed(2)


def test_http10_with_keepalive_stays_open(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        for _ in range(3):
            resp = c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0")
            assert served_by(resp)[1] == c.local_port
            assert resp.header("Connection", "").lower() != "close", resp.raw


def test_http10_keepalive_response_says_keep_alive(gantry, port):
    """An HTTP/1.0 client keeps the connection only if the response says so (ab -k,
    old proxies): `Connection: keep-alive`, as nginx and uWSGI send."""
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0")
        assert resp.status == 200
        assert resp.header("Connection", "").lower() == "keep-alive", resp.raw


def test_generator_response_is_chunked_list_response_has_a_length(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        for _ in range(2):
            gen = c.request("GET", "/gen")
            assert gen.status == 200
            assert gen.header("Transfer-Encoding", "").lower() == "chunked", gen.raw
            assert gen.header("Content-Length") is None, gen.raw
            assert gen.body == GEN_BODY  # decoded strictly: an empty piece must not end it
            lst = c.request("GET", "/list")
            assert (lst.status, lst.body) == (200, LIST_BODY)
            assert lst.header("Content-Length") == str(len(LIST_BODY)), lst.raw
    with local_session() as s:
        resp = s.get(f"http://127.0.0.1:{port}/gen", timeout=3)
        assert (resp.status_code, resp.content) == (200, GEN_BODY)


def test_http10_generator_response_is_delimited_by_close(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/gen", {"Connection": "keep-alive"}, version="HTTP/1.0")
        assert resp.status == 200
        assert "chunked" not in resp.header("Transfer-Encoding", "").lower(), resp.raw
        assert resp.body == GEN_BODY  # read to the close


@pytest.mark.parametrize("path", ["/", "/gen", "/list"])
def test_head_response_has_no_body(gantry, port, path):
    start_http(gantry, port)
    with HttpConn(port) as c:
        head = c.request("HEAD", path)
        assert head.status == 200, head.raw
        # Any body bytes would now be read as the start of the next response.
        resp = c.request("GET", "/echo/after-head")
        assert (resp.status, resp.body) == (200, b"GET /echo/after-head 0"), resp.raw


# -- 6. no starvation ----------------------------------------------------------------

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
    """A client that sends half a request head is still the I/O thread's business."""
    start_http(gantry, port, "--processes", "1")
    with HttpConn(port) as slow:
        slow.send(b"GET /echo/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        latencies = [timed_new_client(port) for _ in range(3)]
        slow.send(b"done\r\n\r\n")
        resp = slow.read_response()
    assert max(latencies) < PROBE_LIMIT, (
        f"a new client waited {[round(x * 1000, 1) for x in latencies]} ms behind a half-sent head")
    assert (resp.status, resp.body) == (200, b"GET /echo/slow 0")


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
