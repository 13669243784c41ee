"""Process bookkeeping for the integration tests, read straight from /proc.

Every process a test starts (gantry master, its workers, nginx and its
workers) is recorded with its start time, so that a pid reused by an unrelated
process later is never mistaken for a survivor.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    state: str
    starttime: int


def read_stat(pid: int) -> ProcStat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is stat field 3 (state); field 4 is ppid, field 22 starttime.
    return ProcStat(pid, int(fields[1]), fields[0], int(fields[19]))


def status_ids(pid: int, field: str) -> list[int]:
    """The ids of a /proc/PID/status line: Uid/Gid (real, effective, saved, fs) or Groups."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, values = line.partition(":")
        if name == field:
            return [int(v) for v in values.split()]
    raise AssertionError(f"no {field} line in /proc/{pid}/status")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def all_stats() -> list[ProcStat]:
    stats = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = read_stat(int(entry))
            if st is not None:
                stats.append(st)
    return stats


def children(pid: int, include_zombies: bool = False) -> list[int]:
    return sorted(
        st.pid for st in all_stats() if st.ppid == pid and (include_zombies or st.state != "Z")
    )


def descendants(pid: int) -> list[int]:
    stats = all_stats()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for st in stats:
            if st.ppid == parent and st.state != "Z":
                found.append(st.pid)
                frontier.append(st.pid)
    return sorted(found)


def is_running(pid: int, starttime: int | None = None) -> bool:
    """True if the process exists, is not a zombie, and (if given) is the same one."""
    st = read_stat(pid)
    if st is None or st.state == "Z":
        return False
    return starttime is None or st.starttime == starttime


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """Poll `predicate` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class ProcessRegistry:
    """The processes one test started; checked for survivors after the test."""

    def __init__(self):
        self._procs: dict[int, tuple[int, str]] = {}

    def add(self, pid: int, what: str) -> None:
        st = read_stat(pid)
        if st is not None and pid not in self._procs:
            self._procs[pid] = (st.starttime, what)

    def add_tree(self, root: int, what: str) -> None:
        self.add(root, what)
        for pid in descendants(root):
            self.add(pid, f"{what} descendant")

    def survivors(self) -> list[str]:
        return [
            f"pid {pid} ({what}): {cmdline(pid)}"
            for pid, (start, what) in sorted(self._procs.items())
            if is_running(pid, start)
        ]

    def kill_survivors(self) -> None:
        for pid, (start, _) in self._procs.items():
            if is_running(pid, start):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def listening_tcp_ports(pid: int) -> set[int]:
    """TCP ports that process `pid` holds a listening socket for."""
    inodes = _socket_inodes(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[9]) in inodes:  # 0A: TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
