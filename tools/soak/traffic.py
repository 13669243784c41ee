"""The soak's bookkeeping and its normal clients (hostile.py has the slow and malformed
ones), each run by threads until `stop` is set.

- Normal clients (NormalClient): requests through nginx (and a few straight to
  gantry's --http-socket), every answer checked: status, body, and for uploads the
  length and sha256 the app computed. Every request carries a unique X-Soak-Id.
- Slow clients (SlowClient): connections straight to gantry's sockets that send a
  request head or body a byte at a time, or stall half-way. Gantry is expected to
  cut them off; how long it took (or that it never did) is recorded, not judged.
- Malformed traffic (Malformed): broken uwsgi packets and broken HTTP requests,
  straight to gantry. Expected: refused (an error status, or a closed connection).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import os
import random
import socket
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field


HELLO = b"Hello, World!\n"
CLIENT_TIMEOUT = 30.0  # one request through nginx may take this long before it is a failure
MIN_UPLOAD, MAX_UPLOAD = 2 * 1024, 1024 * 1024


# -- bookkeeping --------------------------------------------------------------------------

@dataclass
class Failure:
    rid: str
    kind: str
    method: str
    target: str  # "nginx" or "http-socket"
    path: str
    start: float  # seconds since the soak began
    end: float
    error: str
    status: int | None = None
    pid: int | None = None  # from X-Soak-Pid, when an answer came
    body: str = ""  # the first bytes of the answer
    verdict: str = ""  # set by the report: "killed-worker" or "unexpected"
    why: str = ""


@dataclass
class KindStats:
    sent: int = 0
    ok: int = 0
    failed: int = 0
    retried: int = 0
    latencies: list = field(default_factory=list)  # of the successes, in seconds
    worst: tuple = (0.0, "", 0.0)  # latency, "METHOD path", start
    upload_bytes: int = 0


class Ledger:
    """Everything the traffic threads count, under one lock."""

    def __init__(self, t0: float):
        self.t0 = t0
        self.lock = threading.Lock()
        self.kinds: dict[str, KindStats] = {}
        self.failures: list[Failure] = []
        self.retries: list[dict] = []
        self.slow: list[dict] = []
        self.malformed: list[dict] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def kind(self, name: str) -> KindStats:
        with self.lock:
            return self.kinds.setdefault(name, KindStats())

    def success(self, kind: str, what: str, start: float, latency: float, upload: int) -> None:
        with self.lock:
            k = self.kinds.setdefault(kind, KindStats())
            k.sent += 1
            k.ok += 1
            k.latencies.append(latency)
            k.upload_bytes += upload
            if latency > k.worst[0]:
                k.worst = (latency, what, start)

    def failure(self, f: Failure) -> None:
        with self.lock:
            k = self.kinds.setdefault(f.kind, KindStats())
            k.sent += 1
            k.failed += 1
            self.failures.append(f)

    def retry(self, kind: str, what: str, rid: str, target: str, start: float,
              error: str) -> None:
        with self.lock:
            self.kinds.setdefault(kind, KindStats()).retried += 1
            self.retries.append({"rid": rid, "kind": kind, "request": what, "target": target,
                                 "start": round(start, 3), "at": round(self.now(), 3),
                                 "error": error})

    def add(self, bucket: str, record: dict) -> None:
        with self.lock:
            getattr(self, bucket).append(record)


class CheckFailed(Exception):
    pass


def _rid_source(prefix: str):
    n = 0
    while True:
        n += 1
        yield f"{prefix}-{n}"


def random_body(rng: random.Random) -> bytes:
    """A body of a few KiB to 1 MiB, sizes spread evenly on a log scale."""
    size = int(math.exp(rng.uniform(math.log(MIN_UPLOAD), math.log(MAX_UPLOAD))))
    return os.urandom(size)


def _json(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError as e:
        raise CheckFailed(f"not JSON: {e}") from None


# -- normal clients -----------------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection, reopened after an error."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0  # requests answered on the current connection

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn, self.used = None, 0

    def request(self, method, path, body, headers):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.close()
        else:
            self.used += 1
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


# What a reused keep-alive connection may raise when the server closed it just before
# our request got there (the race every HTTP client knows): retried once, on a new one.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class NormalClient(threading.Thread):
    """Loops over its `scenarios` (names of methods below) until `stop` is set."""

    def __init__(self, name, ledger, stop, port, target, scenarios, think, seed):
        super().__init__(name=name, daemon=True)
        self.ledger, self.stop, self.target = ledger, stop, target
        self.scenarios = scenarios
        self.think = think
        self.rng = random.Random(seed)
        self.conn = Connection(port)
        self.rids = _rid_source(name)
        self.csrf: tuple[str, str] | None = None  # Django: (cookie, form token)

    def run(self) -> None:
        while not self.stop.is_set():
            getattr(self, self.rng.choice(self.scenarios))()
            if self.think:
                self.stop.wait(self.rng.uniform(0, self.think))
        self.conn.close()

    def call(self, kind, method, path, check, body=None, headers=None, upload=0):
        """One checked request; `check(status, headers, body)` raises CheckFailed."""
        rid = next(self.rids)
        hdrs = {"Host": "127.0.0.1", "X-Soak-Id": rid, **(headers or {})}
        what = f"{method} {path}"
        start = self.ledger.now()
        t = time.monotonic()
        status = resp_headers = data = None
        try:
            try:
                status, resp_headers, data = self.conn.request(method, path, body, hdrs)
            except STALE as e:
                if self.conn.used == 0:
                    raise
                self.ledger.retry(kind, what, rid, self.target, start, repr(e))
                self.conn.close()
                hdrs["X-Soak-Id"] = rid = rid + "r"
                status, resp_headers, data = self.conn.request(method, path, body, hdrs)
            result = check(status, resp_headers, data)
        except (OSError, http.client.HTTPException, CheckFailed) as e:
            self.conn.close()
            pid = (resp_headers or {}).get("x-soak-pid")
            self.ledger.failure(Failure(
                rid=rid, kind=kind, method=method, target=self.target, path=path,
                start=round(start, 3), end=round(self.ledger.now(), 3),
                error=f"{type(e).__name__}: {e}", status=status,
                pid=int(pid) if pid and pid.isdigit() else None,
                body=(data or b"")[:200].decode("latin-1")))
            return None
        self.ledger.success(kind, what, start, time.monotonic() - t, upload)
        return result

    # The checks --------------------------------------------------------------------------

    @staticmethod
    def expect(status, want=200):
        if status != want:
            raise CheckFailed(f"status {status}, expected {want}")

    def hello(self):
        def check(status, headers, body):
            self.expect(status)
            if body != HELLO:
                raise CheckFailed(f"body {body[:60]!r}")
        self.call("hello", "GET", f"/?n={self.rng.randrange(10**6)}", check)

    def flask_info(self):
        n = str(self.rng.randrange(10**6))

        def check(status, headers, body):
            self.expect(status)
            got = _json(body)
            want = {"app": "gantry-flask-example", "path": "/api/info", "query": {"n": n},
                    "method": "GET"}
            if {k: got.get(k) for k in want} != want:
                raise CheckFailed(f"JSON {got}")
        self.call("flask", "GET", f"/flask/api/info?n={n}", check)

    def flask_index(self):
        def check(status, headers, body):
            self.expect(status)
            if b"Gantry Flask example" not in body:
                raise CheckFailed("no title in the page")
        self.call("flask", "GET", "/flask/", check)

    def flask_greet(self):
        name = f"soak{self.rng.randrange(10**6)}"

        def check(status, headers, body):
            self.expect(status)
            if name.encode() not in body:
                raise CheckFailed("the name is not in the page")
        self.call("flask", "POST", "/flask/greet", check,
                  body=urllib.parse.urlencode({"name": name}).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})

    def django_index(self):
        def check(status, headers, body):
            self.expect(status)
            if b"Gantry Django example" not in body:
                raise CheckFailed("no title in the page")
        self.call("django", "GET", "/django/", check)

    def django_form(self):
        """GET the upload form: a CSRF cookie and token for django_upload."""
        def check(status, headers, body):
            self.expect(status)
            cookie = headers.get("set-cookie", "")
            token = body.split(b'name="csrfmiddlewaretoken" value="', 1)[-1].split(b'"', 1)[0]
            if "csrftoken=" not in cookie or not token:
                raise CheckFailed("no CSRF cookie or token")
            return cookie.split("csrftoken=", 1)[1].split(";", 1)[0], token.decode()
        got = self.call("django", "GET", "/django/upload/", check)
        if got:
            self.csrf = got

    def _hash_check(self, payload: bytes, length_key: str):
        want_len, want_sha = len(payload), hashlib.sha256(payload).hexdigest()

        def check(status, headers, body):
            self.expect(status)
            got = _json(body)
            if (got.get(length_key), got.get("sha256")) != (want_len, want_sha):
                raise CheckFailed(f"sent {want_len} bytes sha256 {want_sha[:12]}, app saw "
                                  f"{got.get(length_key)} bytes sha256 {str(got.get('sha256'))[:12]}")
        return check

    def upload_raw(self):
        payload = random_body(self.rng)
        self.call("upload", "POST", "/up/upload", self._hash_check(payload, "length"),
                  body=payload, headers={"Content-Type": "application/octet-stream"},
                  upload=len(payload))

    def upload_flask(self):
        payload = random_body(self.rng)
        self.call("upload", "POST", "/flask/api/echo", self._hash_check(payload, "length"),
                  body=payload, headers={"Content-Type": "application/octet-stream"},
                  upload=len(payload))

    def upload_django(self):
        if self.csrf is None:
            self.django_form()
            if self.csrf is None:
                return
        cookie, token = self.csrf
        payload = random_body(self.rng)
        boundary = f"soak{self.rng.randrange(10**12)}"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
                f"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"file\"; filename=\"soak.bin\"\r\nContent-Type: application/octet-stream"
                f"\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
        self.call("upload", "POST", "/django/upload/", self._hash_check(payload, "size"),
                  body=body, upload=len(payload),
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                           "Cookie": f"csrftoken={cookie}"})

    def direct_hello(self):
        def check(status, headers, body):
            self.expect(status)
            if body != HELLO:
                raise CheckFailed(f"body {body[:60]!r}")
        self.call("http-socket", "GET", f"/?n={self.rng.randrange(10**6)}", check)

    def direct_flask(self):
        def check(status, headers, body):
            self.expect(status)
            if _json(body).get("path") != "/api/info":
                raise CheckFailed(f"JSON {body[:100]!r}")
        self.call("http-socket", "GET", "/flask/api/info", check)


# (thread name, where it goes, scenarios it picks from at random, how many such threads)
NORMAL_CLIENTS = [
    ("hello", "nginx", ["hello"], 2),
    ("flask", "nginx", ["flask_info", "flask_info", "flask_index", "flask_greet"], 2),
    ("django", "nginx", ["django_index", "django_index", "django_form"], 1),
    ("upload", "nginx", ["upload_raw", "upload_flask", "upload_django"], 2),
    ("direct", "http-socket", ["direct_hello", "direct_flask"], 1),
]


def failures_as_dicts(failures: list[Failure]) -> list[dict]:
    return [asdict(f) for f in failures]
