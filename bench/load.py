"""Load and probes: wrk runs, the correctness check, and the new-connection probe that
catches keep-alive starvation."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
from pathlib import Path

from catalog import App

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
WRK_TIMEOUT = "2s"   # wrk's default: a request slower than this is a timeout error


def fetch(port: int, app: App, timeout: float = 10.0) -> tuple[int, bytes]:
    """One request as the load sends it, on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = b"x" * app.post_bytes if app.post_bytes else None
        headers = {"Content-Type": "application/octet-stream"} if body else {}
        conn.request("POST" if body else "GET", "/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def check(port: int, app: App) -> str | None:
    """None if the server behind `port` answers `app`'s request correctly, else why not."""
    try:
        status, body = fetch(port, app)
    except (OSError, http.client.HTTPException) as e:
        return f"{type(e).__name__}: {e}"
    if status != 200:
        return f"status {status}: {body[:120]!r}"
    return app.check(body)


def wait_correct(port: int, app: App, timeout: float, alive=lambda: True) -> str | None:
    """Retry `check` until it passes (None) or `timeout`; returns the last problem."""
    deadline = time.monotonic() + timeout
    problem = "not tried"
    while time.monotonic() < deadline and alive():
        problem = check(port, app)
        if problem is None:
            return None
        time.sleep(0.002)  # the cold-start figure's resolution
    return problem


def wrk(port: int, app: App, connections: int, duration: int) -> dict:
    """Run wrk (one thread) against 127.0.0.1:port for `duration` whole seconds (wrk takes
    no fractions); wrk.lua's summary as a dict."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
            "--timeout", WRK_TIMEOUT, "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}/"]
    env = dict(os.environ, BENCH_POST_BYTES=str(app.post_bytes))
    done = subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line[len("BENCH_JSON "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(result[k] for k in
                                   ("connect", "read", "write", "status", "timeout"))
            return result
    raise RuntimeError(f"wrk gave no summary (exit {done.returncode}): {(done.stderr + done.stdout).strip()[:300]}")


class NewConnectionProbe:
    """While a load runs, opens a new connection every `interval` seconds, sends one
    request and records how long the answer took (None: no answer within `timeout`)."""

    def __init__(self, port: int, app: App, interval: float = 0.2, timeout: float = 15.0):
        self.port, self.app = port, app
        self.interval, self.timeout = interval, timeout
        self.latencies: list[float | None] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._ticker = threading.Thread(target=self._tick, daemon=True)

    def start(self, delay: float) -> NewConnectionProbe:
        self._delay = delay
        self._ticker.start()
        return self

    def _tick(self) -> None:
        if self._stop.wait(self._delay):
            return
        while not self._stop.is_set():
            t = threading.Thread(target=self._one, daemon=True)
            t.start()
            self._threads.append(t)
            self._stop.wait(self.interval)

    def _one(self) -> None:
        start = time.monotonic()
        try:
            status, body = fetch(self.port, self.app, timeout=self.timeout)
            ok = status == 200 and self.app.check(body) is None
        except (OSError, http.client.HTTPException):
            ok = False
        with self._lock:
            self.latencies.append(time.monotonic() - start if ok else None)

    def stop_sending(self) -> None:
        self._stop.set()
        self._ticker.join()

    def result(self) -> dict:
        """Waits for the probes still out, then sums up (seconds)."""
        for t in self._threads:
            t.join(self.timeout + 1)
        answered = [x for x in self.latencies if x is not None]
        return {"probes": len(self.latencies), "failed": len(self.latencies) - len(answered),
                "max_s": max(answered, default=None),
                "p50_s": sorted(answered)[len(answered) // 2] if answered else None}
