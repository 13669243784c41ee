"""Start, probe and stop one gantry master for a test."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import uwsgi_client
from procs import ProcessRegistry, children, read_stat, wait_until

READY_TIMEOUT = 15.0
# How much slower than usual gantry runs (make test-sanitize sets 3 for ASan): the waits for
# something that must happen (ready, stopped, a log line, workers) are that many times longer,
# which costs nothing when it does. Waits that check something does NOT happen stay as they are.
SLOW = float(os.environ.get("GANTRY_TEST_SLOW", "1"))
STOP_TIMEOUT = 10.0
# The fd-leak check: how long to wait for the workers to be ready before the first reading,
# and for descriptors still being closed (a connection the client just dropped) at the end.
FD_BASELINE_TIMEOUT = 5.0
FD_SETTLE_TIMEOUT = 3.0


def socket_address(args, cwd: Path) -> str | None:
    """The first --socket/-s value in a gantry command line, made usable by the client."""
    args = list(args)
    for i, arg in enumerate(args):
        value = None
        if arg in ("--socket", "-s") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--socket="):
            value = arg.split("=", 1)[1]
        if value is not None:
            if value.startswith(":"):
                return "127.0.0.1" + value
            if "/" in value and not value.startswith("/"):
                return str((cwd / value).resolve())
            return value
    return None


class Gantry:
    def __init__(self, binary: Path, workdir: Path, registry: ProcessRegistry, default_cwd: Path):
        self.binary = binary
        self.workdir = workdir
        self.registry = registry
        self.default_cwd = default_cwd
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.address: str | None = None
        self.args: list[str] = []
        self.allow_log_errors = False  # set by tests that provoke error lines on purpose
        # pid -> (start time, {fd: what it is}) of the master and its workers once ready.
        self.fd_baseline: dict[int, tuple[int, dict[int, str]]] = {}

    # -- lifecycle ---------------------------------------------------------

    def start(self, *args, cwd: Path | None = None, address: str | None = None,
              ready_path: str = "/", env: dict | None = None, timeout: float = READY_TIMEOUT,
              allow_log_errors: bool = False, pass_fds=()):
        """Run gantry with `args` and wait until it answers a real uwsgi request.

        Unless `allow_log_errors`, an error line in its log fails the test at teardown.
        `pass_fds`: descriptors gantry inherits (as subprocess.Popen's).
        """
        assert self.proc is None, "this Gantry was already started"
        self.allow_log_errors = allow_log_errors
        cwd = Path(cwd or self.default_cwd)
        self.args = [str(a) for a in args]
        self.address = address or socket_address(self.args, cwd)
        assert self.address, f"no --socket in {self.args}; pass address="
        self.log_path = self._new_log_path()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), *self.args], cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, env=env, pass_fds=pass_fds,
            )
        self.registry.add(self.proc.pid, "gantry master")
        self._wait_ready(ready_path, timeout)
        self.take_fd_baseline()
        return self

    def _new_log_path(self) -> Path:
        n = 0
        while (self.workdir / f"gantry-{n}.log").exists():
            n += 1
        return self.workdir / f"gantry-{n}.log"

    def _wait_ready(self, path: str, timeout: float) -> None:
        timeout *= SLOW
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"gantry exited with code {self.proc.returncode} before it was ready\n"
                    f"args: {self.args}\n--- log ---\n{self.log_text()}"
                )
            try:
                uwsgi_client.request(self.address, path=path, timeout=max(0.5, deadline - time.monotonic()))
                self.worker_pids()  # record the workers for the survivor check
                return
            except (OSError, uwsgi_client.ProtocolError) as exc:
                last_error = exc
                time.sleep(0.05)
        pytest.fail(
            f"gantry not ready after {timeout}s on {self.address} (last error: {last_error!r})\n"
            f"args: {self.args}\n--- log ---\n{self.log_text()}"
        )

    def stop(self, sig: int = signal.SIGTERM, expect_code: int = 0) -> int:
        """Signal the master, wait for it, and check its exit code."""
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.registry.add_tree(self.proc.pid, "gantry master")
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(STOP_TIMEOUT * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(
                f"gantry did not exit within {STOP_TIMEOUT}s of {signal.Signals(sig).name}; "
                f"killed it\n--- log ---\n{self.log_text()}"
            )
        assert code == expect_code, (
            f"gantry exited with {code} after {signal.Signals(sig).name}, expected {expect_code}"
            f"\n--- log ---\n{self.log_text()}"
        )
        return code

    def kill_hard(self) -> None:
        """Last-resort cleanup: SIGKILL the master (its workers are checked separately)."""
        if self.proc is not None and self.proc.poll() is None:
            self.registry.add_tree(self.proc.pid, "gantry master")
            self.proc.kill()
            self.proc.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- descriptor leaks --------------------------------------------------
    #
    # As NGINX Unit's fixture does: read /proc/PID/fd of the master and each worker once
    # gantry is ready, and again after the test body, before stopping it. A process must not
    # end the test with more descriptors of any kind than it had. Only processes alive at both
    # readings (same start time) are compared: a worker respawned meanwhile is skipped.

    def _fd_readings(self) -> dict[int, tuple[int, dict[int, str]]]:
        readings = {}
        for pid in [self.proc.pid, *children(self.proc.pid)]:
            st = read_stat(pid)
            fds = open_fds(pid)
            if st is not None and fds is not None:
                readings[pid] = (st.starttime, fds)
        return readings

    def take_fd_baseline(self) -> None:
        """The first reading, once every worker is ready: one still starting is still opening
        its own descriptors (its relay pipe, its epoll set). A lone worker is ready, since it
        answered the readiness request; with several, wait for the master to say they all
        are (up to FD_BASELINE_TIMEOUT). A cheap master has none."""
        if len(children(self.proc.pid)) > 1:
            wait_until(lambda: "gantry ready:" in self.log_text(), FD_BASELINE_TIMEOUT * SLOW)
        self.fd_baseline = self._fd_readings()

    def fd_growth(self) -> list[str]:
        """What each process still compared holds beyond its first reading, by kind."""
        grown = []
        for pid, (start, now) in self._fd_readings().items():
            if pid not in self.fd_baseline or self.fd_baseline[pid][0] != start:
                continue
            before = self.fd_baseline[pid][1]
            extra = Counter(now.values()) - Counter(before.values())
            if extra:
                role = "master" if pid == self.proc.pid else "worker"
                new = [f"{fd} -> {target}" for fd, target in sorted(fds_with_links(pid).items())
                       if fd not in before or kind_of(target) != before[fd]]
                shown = ", ".join(new[:8]) + (f", ... ({len(new) - 8} more)" if len(new) > 8 else "")
                grown.append(f"{role} pid {pid}: +{sum(extra.values())} "
                             f"({', '.join(f'{n} {k}' for k, n in sorted(extra.items()))}); "
                             f"new or changed: {shown or '?'}")
        return grown

    def check_fd_leaks(self) -> str | None:
        """None, or what leaked: waits a little for descriptors still being closed."""
        if not self.fd_baseline:
            return None
        if wait_until(lambda: not self.fd_growth(), FD_SETTLE_TIMEOUT * SLOW):
            return None
        grown = self.fd_growth()
        if not grown:
            return None
        return (f"descriptors leaked by gantry {self.args} (more than once it was ready; "
                f"mark the test @pytest.mark.allow_fd_growth(reason) if it holds them on "
                f"purpose):\n  " + "\n  ".join(grown))

    # -- inspection --------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 5.0, regex: bool = False) -> str:
        """Wait until the log contains `pattern`; return the first matching line."""
        def find():
            for line in self.log_text().splitlines():
                if (re.search(pattern, line) if regex else pattern in line):
                    return line
            return None
        line = wait_until(find, timeout * SLOW)
        assert line, f"log never showed {pattern!r} within {timeout}s\n--- log ---\n{self.log_text()}"
        return line

    def error_lines(self) -> list[str]:
        """Log lines at level error or worse."""
        return [line for line in self.log_text().splitlines()
                if re.match(r"^\[[^\]]*\] \[pid \d+\] (error|critical|fatal)\b", line)]

    def sanitizer_lines(self) -> list[str]:
        """Reports of a sanitizer build (make test-sanitize): UBSan's "file:line:col: runtime
        error: ...", or ASan's and LSan's "==PID==ERROR: ..." when they write to stderr."""
        return [line for line in self.log_text().splitlines()
                if re.search(r": runtime error: |^==\d+==ERROR: \w+Sanitizer", line)]

    def worker_pids(self) -> list[int]:
        """Live children of the master (its workers), recorded for the leak check."""
        pids = children(self.proc.pid)
        for pid in pids:
            self.registry.add(pid, f"gantry worker of {self.proc.pid}")
        return pids

    def wait_for_workers(self, count: int, timeout: float = 10.0, exclude=()) -> list[int]:
        def check():
            pids = self.worker_pids()
            return pids if len(pids) == count and not set(pids) & set(exclude) else None
        pids = wait_until(check, timeout * SLOW)
        assert pids, (
            f"expected {count} workers (none of {list(exclude)}), have {self.worker_pids()}"
            f"\n--- log ---\n{self.log_text()}"
        )
        return pids

    def request(self, *args, **kwargs) -> uwsgi_client.Response:
        return uwsgi_client.request(self.address, *args, **kwargs)

    def requests_reach(self, logfile, workers: int = 1, timeout: float = 10.0) -> None:
        """After a log reopen: requests `workers` at a time (so that each worker serves) until
        every worker has logged one into `logfile`. A worker reopens its log on its own
        SIGUSR1, a moment after the master made the new file: a request served in between is
        logged into the old one, rightly."""
        pids = self.wait_for_workers(workers)

        def all_there():
            with ThreadPoolExecutor(workers) as pool:
                for r in pool.map(lambda n: self.request(path=f"/after-reopen-{n}"),
                                  range(workers)):
                    assert r.status == 200
            text = Path(logfile).read_text() if Path(logfile).exists() else ""
            return all(f"[pid {pid}] info: worker" in text for pid in pids)
        assert wait_until(all_there, timeout * SLOW, interval=0.05), (
            f"not every worker logs into {logfile}\n--- it has ---\n"
            f"{Path(logfile).read_text() if Path(logfile).exists() else ''}")

    def send_raw(self, data: bytes, **kwargs) -> uwsgi_client.RawResult:
        return uwsgi_client.send_raw(self.address, data, **kwargs)


def kind_of(target: str) -> str:
    """What a descriptor is, without the inode that changes from one to the next:
    "socket", "pipe", "anon_inode:[eventpoll]", or the file's path."""
    return re.sub(r"^(socket|pipe):\[\d+\]$", r"\1", target)


def fds_with_links(pid: int) -> dict[int, str]:
    """fd -> readlink of /proc/PID/fd/fd; {} if the process is gone."""
    out = {}
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for entry in entries:
        try:
            out[int(entry)] = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            continue  # closed between the listing and the readlink
    return out


def open_fds(pid: int) -> dict[int, str] | None:
    """fd -> kind_of() its target, or None if the process is gone."""
    if read_stat(pid) is None:
        return None
    return {fd: kind_of(target) for fd, target in fds_with_links(pid).items()}


def run_to_exit(binary: Path, args, cwd: Path, registry: ProcessRegistry, timeout: float = 15.0,
                env: dict | None = None):
    """Run gantry expecting it to exit by itself (start-up errors); returns (code, output)."""
    proc = subprocess.Popen(
        [str(binary), *map(str, args)], cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    registry.add(proc.pid, "gantry (expected to exit)")
    try:
        out, _ = proc.communicate(timeout=timeout * SLOW)
    except subprocess.TimeoutExpired:
        registry.add_tree(proc.pid, "gantry (expected to exit)")
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"gantry {args} did not exit within {timeout}s\n--- output ---\n"
                    f"{out.decode(errors='replace')}")
    return proc.returncode, out.decode("utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (all held open until every one is chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
