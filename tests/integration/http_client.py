"""A raw HTTP/1.1 client and a gantry started on --http-socket, for the HTTP tests."""

from __future__ import annotations

import re
import socket
import time

import pytest
import requests

import uwsgi_client
from gantry_proc import Gantry
from paths import APPS, REPO


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
