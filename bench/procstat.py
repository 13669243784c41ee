"""What the benchmark reads from /proc: a server's process tree, its CPU time and memory.

CPU is utime+stime of the master and every live descendant, plus the master's
cutime+cstime (so a worker that died and was reaped mid-run still counts). Memory
comes from smaps_rollup: PSS (shared pages split between the processes mapping them)
and USS (private pages, Private_Clean + Private_Dirty).
"""

from __future__ import annotations

import os
from pathlib import Path

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
# Processes that mean someone is compiling on the machine while we measure.
BUILD_COMMANDS = {"cc1plus", "cc1", "c++", "g++", "ld", "collect2", "cmake", "make", "ninja",
                  "ctest", "ccache", "clang-format", "as"}


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return raw[raw.rindex(")") + 2:].split()


def _all_ppids() -> dict[int, int]:
    ppids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[0] != "Z":
                ppids[int(entry)] = int(fields[1])
    return ppids


def tree(pid: int) -> list[int]:
    """`pid` and all its live descendants, master first."""
    ppids = _all_ppids()
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in ppids.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def cpu_seconds(master: int) -> float:
    """CPU time used so far by `master`'s whole tree (see the module docstring)."""
    total = 0
    for pid in tree(master):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # fields[0] is stat field 3; utime, stime, cutime, cstime are fields 14-17.
        total += int(fields[11]) + int(fields[12])
        if pid == master:
            total += int(fields[13]) + int(fields[14])
    return total * TICK_S


def memory(master: int) -> dict:
    """PSS and USS of the tree, in KiB: total, the master's, and each worker's."""
    per_pid = {}
    for pid in tree(master):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        values = {}
        for line in text.splitlines()[1:]:
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0])
        per_pid[pid] = {"pss": values["Pss"], "rss": values["Rss"],
                        "uss": values["Private_Clean"] + values["Private_Dirty"]}
    workers = [v for pid, v in per_pid.items() if pid != master]
    return {
        "pss_total_kib": sum(v["pss"] for v in per_pid.values()),
        "master_pss_kib": per_pid.get(master, {}).get("pss", 0),
        "master_uss_kib": per_pid.get(master, {}).get("uss", 0),
        "worker_uss_kib": [v["uss"] for v in workers],
        "worker_pss_kib": [v["pss"] for v in workers],
        "processes": len(per_pid),
    }


def machine_cpu_seconds() -> dict:
    """CPU time the whole machine spent in processes (all cores), and time stolen by the
    hypervisor, from /proc/stat. Interrupt time is left out: loopback traffic lands there."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(f) for f in fields[:8])
    return {"process": (user + nice + system) * TICK_S, "steal": steal * TICK_S}


def _ancestors() -> set[int]:
    found, pid = set(), os.getpid()
    while pid > 1:
        found.add(pid)
        fields = _stat_fields(pid)
        if fields is None:
            break
        pid = int(fields[1])
    return found


def builds_running() -> list[str]:
    """Names of compiler/build processes running right now (someone else's build)."""
    seen, ours = set(), _ancestors()  # `make bench` itself is not someone's build
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in ours:
            try:
                name = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if name in BUILD_COMMANDS:
                seen.add(name)
    return sorted(seen)
