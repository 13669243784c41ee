"""Fixtures for gantry's black-box integration tests.

Run from the repo root:  /usr/bin/python3 -m pytest tests/integration
The gantry binary is $GANTRY_BIN, or <repo>/build/gantry.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paths import GANTRY_BIN, REPO  # noqa: E402
from gantry_proc import Gantry, free_port, run_to_exit  # noqa: E402
from procs import ProcessRegistry, wait_until  # noqa: E402

SURVIVOR_TIMEOUT = 3.0


@pytest.fixture(autouse=True)
def process_registry():
    """Fails the test if any process it started is still running afterwards."""
    registry = ProcessRegistry()
    yield registry
    if wait_until(lambda: not registry.survivors(), SURVIVOR_TIMEOUT):
        return
    survivors = registry.survivors()
    registry.kill_survivors()
    pytest.fail("processes started by the test still running after it:\n  " + "\n  ".join(survivors))


class GantryFactory:
    def __init__(self, workdir: Path, registry: ProcessRegistry, check_fds: bool = True):
        self.workdir = workdir
        self.registry = registry
        self.check_fds = check_fds
        self.instances: list[Gantry] = []

    def _binary(self) -> Path:
        if not os.access(GANTRY_BIN, os.X_OK):
            pytest.fail(f"gantry binary not found or not executable: {GANTRY_BIN} (set GANTRY_BIN)")
        return GANTRY_BIN

    def start(self, *args, cwd: Path | None = None, **kwargs) -> Gantry:
        """Start gantry with `args` (cwd: repo root by default) and wait until it serves."""
        g = Gantry(self._binary(), self.workdir, self.registry, default_cwd=REPO)
        self.instances.append(g)
        return g.start(*args, cwd=cwd, **kwargs)

    def run(self, *args, cwd: Path | None = None, timeout: float = 15.0,
            env: dict | None = None) -> tuple[int, str]:
        """Run gantry expecting it to exit on its own; returns (exit code, stdout+stderr)."""
        return run_to_exit(self._binary(), args, cwd or REPO, self.registry, timeout, env)

    def stop_all(self) -> None:
        errors = []
        # After the test body and before stopping: gantry's processes hold no more
        # descriptors than when it was ready (see Gantry.check_fd_leaks).
        for g in self.instances:
            if g.running and self.check_fds:
                leaked = g.check_fd_leaks()
                if leaked:
                    errors.append(leaked)
        for g in self.instances:
            if g.running:
                try:
                    g.stop()
                except BaseException as exc:  # noqa: BLE001 - report after cleaning up the rest
                    g.kill_hard()
                    errors.append(str(exc))
        for g in self.instances:
            # Always, even where error lines are allowed: make test-sanitize's ASan reports go
            # to files, but g++'s UBSan writes to stderr, which is this log.
            if g.sanitizer_lines():
                errors.append(f"sanitizer report in the log of gantry {g.args}:\n  "
                              + "\n  ".join(g.sanitizer_lines()))
            if not g.allow_log_errors and g.error_lines():
                errors.append(f"unexpected error lines in the log of gantry {g.args}:\n  "
                              + "\n  ".join(g.error_lines()))
        if errors:
            pytest.fail("at teardown:\n" + "\n".join(errors))


@pytest.fixture
def gantry(request, tmp_path, process_registry):
    """Starts gantry for the test; at teardown fails it on leaked descriptors (unless marked
    @pytest.mark.allow_fd_growth(reason)) and on error lines in the log."""
    allowed = request.node.get_closest_marker("allow_fd_growth")
    factory = GantryFactory(tmp_path, process_registry, check_fds=allowed is None)
    yield factory
    factory.stop_all()


def _nginx_front():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import nginx_front
    except ImportError as exc:
        pytest.fail(f"tools/nginx_front.py is missing or broken: {exc}")
    return nginx_front


class NginxFactory:
    def __init__(self, workdir: Path, registry: ProcessRegistry):
        self.workdir = workdir
        self.registry = registry
        self.module = _nginx_front()
        self.fronts = []

    def render(self, site, upstream: str, listen_port: int | None = None) -> tuple[str, int]:
        """Render a site config (path or text) for `upstream`; returns (text, listen port)."""
        port = listen_port or self.module.free_port()
        return self.module.render_site(site, port, upstream), port

    def start(self, site_text: str):
        workdir = self.workdir / f"nginx-{len(self.fronts)}"
        workdir.mkdir()
        front = self.module.NginxFront(workdir, site_text, REPO)
        self.fronts.append(front)
        front.start()
        self.registry.add_tree(front.pid, "nginx master")
        return front

    def stop_all(self) -> None:
        for front in self.fronts:
            if front.pid:
                self.registry.add_tree(front.pid, "nginx master")
            front.stop()


@pytest.fixture
def nginx(tmp_path, process_registry):
    factory = NginxFactory(tmp_path, process_registry)
    yield factory
    factory.stop_all()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def repo() -> Path:
    return REPO
