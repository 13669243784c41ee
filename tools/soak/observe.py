"""What the soak reads besides its own traffic: /proc (memory, descriptors) and the logs
of gantry and nginx."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from procs import children, read_stat


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_kinds(pid: int) -> dict[int, str] | None:
    """fd -> what it is ("socket", "pipe", "anon_inode:[eventpoll]", a path), or None
    if the process is gone. Inode numbers are dropped: they change from one to the next."""
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    out = {}
    for entry in entries:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            continue  # closed between the listing and the readlink
        out[int(entry)] = re.sub(r"^(socket|pipe):\[\d+\]$", r"\1", target)
    return out


def snapshot(master: int, nginx: int | None, at: float) -> dict:
    """RSS and descriptors of gantry's master and workers, and RSS of nginx's processes."""
    fds = fd_kinds(master) or {}
    snap = {
        "at": round(at, 1),
        # Children the master has not reaped (nor ever will, if it lost track of them).
        "zombies": [p for p in children(master, include_zombies=True)
                    if (st := read_stat(p)) is not None and st.state == "Z"],
        "master": {"pid": master, "rss_kb": rss_kb(master), "fds": len(fds),
                   "fd_kinds": dict(Counter(fds.values()))},
        "workers": [],
        "nginx": [],
    }
    for pid in children(master):
        wf = fd_kinds(pid)
        snap["workers"].append({"pid": pid, "rss_kb": rss_kb(pid),
                                "fds": len(wf) if wf is not None else None})
    if nginx is not None:
        for pid, role in [(nginx, "master")] + [(p, "worker") for p in children(nginx)]:
            snap["nginx"].append({"pid": pid, "role": role, "rss_kb": rss_kb(pid)})
    return snap


def workers_of(master: int) -> list[int]:
    """The master's live children (its workers), oldest pids first."""
    return [p for p in children(master) if (st := read_stat(p)) is not None and st.state != "Z"]


# -- gantry's log ---------------------------------------------------------------------------

_LINE = re.compile(r"^\[(?P<time>[^\]]+)\] \[pid (?P<pid>\d+)\] (?P<level>\w+): (?P<msg>.*)$")
_EXIT = re.compile(r"^worker (?P<id>\d+) \(pid (?P<pid>\d+)\) (?P<how>killed by signal \d+ "
                   r"\(\w+\)(?:, core dumped)?|exited with code \d+)(?P<rest>.*)$")
_REQUEST = re.compile(r"^worker \d+: \S+ \S+ \S+ => (?P<status>\d{3})\b")


def _shape(msg: str) -> str:
    """A message with its numbers, pids and paths blurred, to count messages by kind."""
    msg = re.sub(r"/\S*", "/…", msg)
    return re.sub(r"\d+(\.\d+)?", "N", msg)[:160]


def parse_gantry_log(path: Path, our_kills: set[int]) -> dict:
    """Counts of what gantry says it did, and every worker exit it did not expect that
    the soak did not cause either."""
    out = {
        "reloads": 0, "chain_reloads": 0, "reload_failures": 0, "ready_lines": 0,
        "spawned": 0, "recycles": 0, "sigkilled_by_soak": 0, "stopped_by_gantry": 0,
        "kills_without_exit_line": [],
        "unexplained_worker_exits": [], "warnings": Counter(), "errors": Counter(),
        "request_statuses": Counter(), "first_errors": [],
    }
    if not path.exists():
        return out
    exited = set()
    for raw in path.read_text(errors="replace").splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        msg, level = m["msg"], m["level"]
        if msg.startswith("SIGHUP: reload"):
            out["reloads"] += 1
        elif msg.startswith("SIGUSR2: chain reload"):
            out["chain_reloads"] += 1
        elif (msg.startswith(("reload failed", "reload: exec failed", "reload: cannot"))
              or "could not start a fresh master" in msg):
            out["reload_failures"] += 1
        elif msg.startswith("gantry ready:"):
            out["ready_lines"] += 1
        elif msg.startswith("spawned worker"):
            out["spawned"] += 1
        elif msg.startswith("stopping worker") and ": recycled:" in msg:
            out["recycles"] += 1
        if (r := _REQUEST.match(msg)) is not None:
            out["request_statuses"][r["status"]] += 1
        if (e := _EXIT.match(msg)) is not None:
            pid = int(e["pid"])
            exited.add(pid)
            if pid in our_kills and "SIGKILL" in e["how"]:
                out["sigkilled_by_soak"] += 1
            elif "respawning" in e["rest"]:  # an exit gantry did not ask for
                out["unexplained_worker_exits"].append(raw)
            else:
                out["stopped_by_gantry"] += 1  # recycled, replaced by a reload, stopping
        if level == "warning":
            out["warnings"][_shape(msg)] += 1
        elif level in ("error", "critical", "fatal"):
            out["errors"][_shape(msg)] += 1
            if len(out["first_errors"]) < 20:
                out["first_errors"].append(raw)
    # A worker the soak killed whose exit gantry never reported: the master lost track of it.
    out["kills_without_exit_line"] = sorted(our_kills - exited)
    for key in ("warnings", "errors", "request_statuses"):
        out[key] = dict(out[key].most_common())
    return out


def parse_nginx_logs(workdir: Path) -> dict:
    """nginx's answers by status (access log) and its complaints by kind (error log)."""
    statuses, complaints = Counter(), Counter()
    access = workdir / "access.log"
    if access.exists():
        for line in access.read_text(errors="replace").splitlines():
            m = re.search(r'" (\d{3}) ', line)
            if m:
                statuses[m.group(1)] += 1
    error = workdir / "error.log"
    if error.exists():
        for line in error.read_text(errors="replace").splitlines():
            m = re.search(r"\[(warn|error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client:|$)",
                          line)
            if m:
                complaints[f"{m.group(1)}: {_shape(m.group(2))}"] += 1
    return {"statuses": dict(statuses.most_common()), "errors": dict(complaints.most_common())}
