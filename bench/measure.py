"""One measurement each: a load run, a cold start, a memory reading after load."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import load
import procstat
from catalog import App
from servers import Instance

START_TIMEOUT = 60.0


def start_checked(inst: Instance) -> str | None:
    """Start `inst` and wait for a correct answer: None, or what went wrong."""
    try:
        inst.start()
    except (RuntimeError, OSError) as e:
        return f"start failed: {e}\n{inst.log_tail()}"
    problem = load.wait_correct(inst.port, inst.app, START_TIMEOUT,
                                alive=lambda: inst.exited() is None)
    if problem is not None:
        status = inst.exited()
        why = f"exited with {status}" if status is not None else problem
        return f"no correct answer after start ({why})\n{inst.log_tail()}"
    return None


def _rusage_s(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def load_run(inst: Instance, connections: int, duration: float, probe: bool) -> dict:
    """A correctness check, then one measured wrk run against `inst`."""
    row = {"server": inst.name, "app": inst.app.name, "topology": inst.topology,
           "connections": connections}
    problem = load.check(inst.port, inst.app)
    if problem is not None:
        return row | {"check_failed": problem, "log": inst.log_tail()}
    builds = procstat.builds_running()
    before = _counters(inst)
    prober = load.NewConnectionProbe(inst.port, inst.app, timeout=duration + 15).start(0.5) \
        if probe else None
    try:
        result = load.wrk(inst.port, inst.app, connections, duration)
    except (RuntimeError, OSError) as e:
        return row | {"check_failed": f"the load run failed: {e}"}
    finally:
        if prober:
            prober.stop_sending()
    after = _counters(inst)
    builds = sorted(set(builds) | set(procstat.builds_running()))
    d = {k: after[k] - before[k] for k in before}
    ours = d["server"] + d["nginx"] + d["children"] + d["self"]
    row |= {k: result[k] for k in ("rps", "requests", "errors", "p50_us", "p90_us", "p99_us",
                                   "max_us", "connect", "read", "write", "status", "timeout")}
    row |= {
        "server_cpu_s": d["server"],
        "cpu_us_per_req": d["server"] / result["requests"] * 1e6 if result["requests"] else None,
        "nginx_cpu_s": d["nginx"] if inst.nginx else None,
        "foreign_cpu_s": max(0.0, d["machine"] - ours),   # someone else's work meanwhile
        "steal_s": d["steal"],
        "builds_seen": builds,
    }
    if prober:
        row["new_connection_probe"] = prober.result()
    if inst.exited() is not None:
        row["check_failed"] = f"server exited ({inst.exited()}) during the run\n{inst.log_tail()}"
    return row


def _counters(inst: Instance) -> dict:
    machine = procstat.machine_cpu_seconds()
    return {
        "server": procstat.cpu_seconds(inst.pid),
        "nginx": procstat.cpu_seconds(inst.nginx.pid) if inst.nginx else 0.0,
        "children": _rusage_s(resource.RUSAGE_CHILDREN),   # wrk, once it is reaped
        "self": _rusage_s(resource.RUSAGE_SELF),           # this script and its probes
        "machine": machine["process"],
        "steal": machine["steal"],
    }


def cold_start(server: str, app: App, workdir: Path, lazy: bool, workers: int) -> dict:
    """Spawn -> first correct 200 on the server's own HTTP socket."""
    inst = Instance(server, app, "http", workdir, workers=workers, lazy=lazy)
    row = {"server": inst.name, "app": app.name, "workers": workers}
    try:
        problem = start_checked(inst)
        elapsed = time.monotonic() - inst.started_at
    finally:
        inst.stop()
    if problem is not None:
        return row | {"check_failed": problem}
    return row | {"cold_start_s": elapsed}


def memory_after_load(server: str, app: App, workdir: Path, lazy: bool, workers: int,
                      duration: float) -> dict:
    """PSS/USS of master + workers after `duration` s of 32 connections through nginx."""
    inst = Instance(server, app, "nginx-tcp", workdir, workers=workers, lazy=lazy)
    row = {"server": inst.name, "app": app.name, "topology": "nginx-tcp", "workers": workers}
    try:
        problem = start_checked(inst)
        if problem is not None:
            return row | {"check_failed": problem}
        result = load.wrk(inst.port, app, 32, duration)
        time.sleep(0.3)
        row |= procstat.memory(inst.pid) | {"requests": result["requests"],
                                            "errors": result["errors"]}
        if row["processes"] != workers + 1:
            row["check_failed"] = f"{row['processes']} processes, expected {workers + 1}"
    finally:
        inst.stop()
    return row
