"""A real Prometheus server for a test: Debian's /usr/bin/prometheus on a free loopback port,
with a config written for the test (one job, scraped every second) and its TSDB in tmp_path.

    def test_x(prometheus):
        prom = prometheus.start(target="127.0.0.1:9100", job="gantry")
        prom.wait_for(lambda: prom.query('up{job="gantry"}'), 20)

Started and stopped by its PID; the test's process registry checks it is gone afterwards.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from gantry_proc import SLOW, free_port
from procs import ProcessRegistry, wait_until

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
READY_TIMEOUT = 30.0  # the first start opens (creates) its TSDB and WAL
STOP_TIMEOUT = 15.0


def require_prometheus() -> None:
    if not Path(PROMETHEUS).exists():
        pytest.skip("prometheus is not installed (Debian package prometheus: /usr/bin/prometheus)")


def require_promtool() -> None:
    if not Path(PROMTOOL).exists():
        pytest.skip("promtool is not installed (Debian package prometheus: /usr/bin/promtool)")


def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body); an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


class PrometheusServer:
    def __init__(self, workdir: Path, registry: ProcessRegistry):
        self.workdir = workdir
        self.registry = registry
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log_path = workdir / "prometheus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self, target: str, job: str, metrics_path: str) -> str:
        # Prometheus' YAML config; JSON is YAML, which keeps quoting out of the way.
        return json.dumps({
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{
                "job_name": job,
                "metrics_path": metrics_path,
                "static_configs": [{"targets": [target]}],
            }],
        }, indent=2)

    def start(self, target: str | None = None, job: str = "gantry", metrics_path: str = "/metrics"):
        """Run prometheus scraping `target` (HOST:PORT; itself when None) as job `job`, and
        wait until /-/ready answers 200."""
        require_prometheus()
        assert self.proc is None, "this PrometheusServer was already started"
        self.port = free_port()
        config = self.workdir / "prometheus.yml"
        config.write_text(self.config_text(target or f"127.0.0.1:{self.port}", job, metrics_path))
        data = self.workdir / "prometheus-data"
        data.mkdir(exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.registry.add(self.proc.pid, "prometheus")

        def ready():
            if self.proc.poll() is not None:
                return True
            try:
                return http_get(f"{self.url}/-/ready", timeout=1)[0] == 200
            except OSError:
                return False

        wait_until(ready, READY_TIMEOUT * SLOW, interval=0.1)
        if self.proc.poll() is not None:
            pytest.fail(f"prometheus exited with code {self.proc.returncode} before it was ready"
                        f"\n--- log ---\n{self.log_text()}")
        assert ready(), f"prometheus not ready after {READY_TIMEOUT}s\n--- log ---\n{self.log_text()}"
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def api(self, path: str, **params) -> dict:
        """GET /api/v1/PATH?params; the "data" of a success, else an AssertionError."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        status, _, body = http_get(url)
        reply = json.loads(body)
        assert status == 200 and reply.get("status") == "success", f"{url}: {status} {reply}"
        return reply["data"]

    def query(self, expr: str) -> list[dict]:
        """An instant query: a list of {"metric": {labels}, "value": [ts, "value"]}."""
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", data
        return data["result"]

    def targets(self) -> list[dict]:
        return self.api("targets")["activeTargets"]

    def wait_for(self, predicate, timeout: float = 20.0):
        """Poll `predicate` (e.g. a query) until it is truthy; scrapes come every second."""
        return wait_until(predicate, timeout * SLOW, interval=0.25)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"prometheus did not stop within {STOP_TIMEOUT}s of SIGTERM; killed it"
                        f"\n--- log ---\n{self.log_text()}")


class PrometheusFactory:
    def __init__(self, workdir: Path, registry: ProcessRegistry):
        self.workdir = workdir
        self.registry = registry
        self.servers: list[PrometheusServer] = []

    def start(self, target: str | None = None, job: str = "gantry", metrics_path: str = "/metrics"):
        workdir = self.workdir / f"prometheus-{len(self.servers)}"
        workdir.mkdir()
        server = PrometheusServer(workdir, self.registry)
        self.servers.append(server)
        return server.start(target, job, metrics_path)

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def prometheus(tmp_path, process_registry):
    """Starts real Prometheus servers for the test (skips it if prometheus is absent) and
    stops them at teardown. Import this name into the test module to use it."""
    require_prometheus()
    factory = PrometheusFactory(tmp_path, process_registry)
    yield factory
    factory.stop_all()


def promtool_check_metrics(text: str) -> tuple[int, str]:
    """`promtool check metrics` on `text` (its stdin): (exit code, what it printed)."""
    require_promtool()
    proc = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True,
                          timeout=30)
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")

