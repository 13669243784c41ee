"""The app the signal and reload tests run (tests/integration/apps/), copied per test so
that its code can be edited before a reload."""

from __future__ import annotations

import re
import shutil
import threading
import time

import uwsgi_client
from paths import APPS


def copy_app(tmp_path, name="reload"):
    dest = tmp_path / "app"
    shutil.copytree(APPS / name, dest)
    return dest


def set_version(app_dir, version):
    """Rewrite VERSION in app.py; drop cached bytecode so the next import reads the source."""
    source = app_dir / "app.py"
    text, count = re.subn(r'^VERSION = ".*"$', f'VERSION = "{version}"', source.read_text(),
                          flags=re.M)
    assert count == 1, "apps/reload/app.py must have exactly one VERSION line"
    source.write_text(text)
    shutil.rmtree(app_dir / "__pycache__", ignore_errors=True)


class SlowRequest:
    """A uwsgi request to the reload app's /slow?SECONDS on a thread of its own, started once
    the app says it runs: `raw` (the bytes back), `error` or `elapsed` once join()ed."""

    def __init__(self, g, seconds: int):
        self.raw = b""
        self.error: Exception | None = None
        self.elapsed = 0.0
        self._thread = threading.Thread(target=self._run, args=(g, seconds))
        self._thread.start()
        g.wait_for_log("slow request started")

    def _run(self, g, seconds):
        started = time.monotonic()
        try:
            packet = uwsgi_client.encode_packet(
                uwsgi_client.nginx_vars(path="/slow", query=str(seconds)))
            self.raw = g.send_raw(packet, timeout=10).data
        except OSError as exc:
            self.error = exc
        self.elapsed = time.monotonic() - started

    def join(self):
        self._thread.join(10)
        assert not self._thread.is_alive(), "the slow request never ended"
        return self

    def response(self):
        assert self.error is None, f"the in-flight request failed: {self.error!r}"
        return uwsgi_client.parse_response(self.raw)


def assert_replaced_one_at_a_time(log_after: str, workers: int = 2):
    """The log after a chain reload began: each old worker stopped only once its replacement
    was spawned."""
    assert "replacing them one at a time" in log_after, log_after
    for i in range(1, workers + 1):
        assert log_after.index(f"spawned worker {i}") < log_after.index(f"stopping worker {i}"), \
            log_after
