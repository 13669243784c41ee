"""Steady, bounded HTTP load through nginx: every request's outcome and latency recorded.

Each of CONNECTIONS threads keeps one keep-alive connection to nginx and sends GET /r<id>
back to back until stopped, or until MAX_SECONDS pass, whichever comes first. A request
fails if the answer is not 200 or the connection breaks; the ids let a failure be matched
with nginx's access log (which upstreams it went to).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass

CONNECTIONS = 8
MAX_SECONDS = 30.0
REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Outcome:
    rid: int
    start: float     # time.monotonic()
    end: float
    status: int      # 0: connection error
    host: str        # the body: which host answered ("" if none)
    error: str = ""

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def ok(self) -> bool:
        return self.status == 200


# Request ids are unique across every Load of a run: they are matched with one access log.
_IDS = itertools.count(1)


class Load:
    def __init__(self, port: int, connections: int = CONNECTIONS, max_seconds: float = MAX_SECONDS):
        self.port = port
        self.connections = connections
        self.max_seconds = max_seconds
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started = 0.0
        self.stopped = 0.0

    def __enter__(self) -> Load:
        self.started = time.monotonic()
        for n in range(self.connections):
            t = threading.Thread(target=self._run, name=f"load-{n}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(REQUEST_TIMEOUT + 5)
        self.stopped = time.monotonic()

    def _run(self) -> None:
        deadline = self.started + self.max_seconds
        conn = None
        while not self._stop.is_set() and time.monotonic() < deadline:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            rid = next(_IDS)
            start = time.monotonic()
            try:
                conn.request("GET", f"/r{rid}")
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace").strip()
                outcome = Outcome(rid, start, time.monotonic(), resp.status, body)
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                outcome = Outcome(rid, start, time.monotonic(), 0, "", repr(exc))
                conn.close()
                conn = None
            with self._lock:
                self.outcomes.append(outcome)
        if conn is not None:
            conn.close()

    # -- reading -------------------------------------------------------------

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def wait_for(self, predicate, timeout: float, interval: float = 0.05) -> bool:
        """Wait until predicate(outcomes so far) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.snapshot()):
                return True
            time.sleep(interval)
        return predicate(self.snapshot())

    def hosts(self, since: float = 0.0) -> Counter:
        return Counter(o.host for o in self.snapshot() if o.ok and o.start >= since)

    def failed(self) -> list[Outcome]:
        return [o for o in self.snapshot() if not o.ok]

    def slow(self, threshold: float) -> list[Outcome]:
        return [o for o in self.snapshot() if o.ok and o.latency > threshold]

    def worst(self) -> float:
        return max((o.latency for o in self.snapshot()), default=0.0)
