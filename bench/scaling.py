"""How cost grows with workers and threads: gantry side by side with uWSGI, both behind
nginx (`uwsgi_pass` over TCP, 32 connections, wrk) — `make bench-scaling`, or

    /usr/bin/python3 bench/scaling.py [--duration 3] [--repeats 2] [--part load,memory]
        [--apps hello,django-wait] [--processes 1,2,4,8] [--threads 1,4] [--workers 1,2,4,8]

Two parts:

- load: req/s and server CPU per request for each (app, processes, threads): hello, and a
  Django view that waits 5 ms on I/O (djsite's /wait/, a database call's stand-in), where
  threads should pay off. Threads: `--threads N` for both servers; at 1 thread neither gets
  the option (uWSGI's `--threads 1` would switch its Python thread support on, which its
  default single-threaded worker runs without).
- memory: PSS of master + N preloaded Django workers (the template view), read after
  --memory-load seconds of 32 connections (N/4 times as long beyond 4 workers, so that
  each worker serves as many requests as at 4), for each N: the figure a long-running
  server holds (a uWSGI worker unshares most of the preloaded app at its first full
  garbage collection, some hundreds of requests in; gantry freezes the app's objects with
  gc.freeze() before the fork). See bench/README.md, "How it is measured". Seen here:
  uWSGI's 8 workers read 110 MiB after 2 s of load, 181 MiB after 10 s.

Within each configuration the servers run one after the other, alone, who goes first
alternating per configuration and per repeat; tables show medians over the repeats and
gantry ÷ uWSGI. Raw runs and medians go to bench/results/scaling-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
import measure  # noqa: E402
import procstat  # noqa: E402
import report  # noqa: E402
from catalog import APPS, EXTRA_APPS  # noqa: E402
from servers import Instance, gantry_fingerprint, versions  # noqa: E402

BENCH = Path(__file__).resolve().parent
ALL_APPS = APPS | EXTRA_APPS
SERVERS = ("gantry", "uwsgi")
LABEL = {"gantry": "gantry", "uwsgi": "uWSGI"}
TOPOLOGY = "nginx-tcp"
CONNECTIONS = 32
# As in run.py: a run during which the hypervisor stole more than this share of the
# machine's CPU time measured the host; it is run again (at most twice more) and the least
# disturbed attempt is kept.
STEAL_LIMIT = 0.03
STEAL_RETRIES = 2
# --memory-load is the load for up to this many workers; more workers get more (see
# memory_load_s).
MEMORY_LOAD_WORKERS = 4
# Seconds a start, check and stop add to a run (hello / a Django app / a memory reading),
# for the estimate printed at the start.
OVERHEAD_HELLO_S, OVERHEAD_DJANGO_S, OVERHEAD_MEMORY_S = 1.0, 2.0, 2.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 3 s x 2 repeats: the default full run (64 load runs, 16 memory readings) stays
    # under 10 minutes on 2 cores.
    p.add_argument("--duration", type=int, default=3, help="seconds per measured run (3)")
    p.add_argument("--repeats", type=int, default=2, help="repeats of everything (2)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of load after start (1)")
    p.add_argument("--memory-load", type=int, default=5,
                   help="seconds of load before reading memory, up to 4 workers (5; see run.py)")
    p.add_argument("--part", default="load,memory", help="subset of load,memory")
    p.add_argument("--apps", default="hello,django-wait",
                   help="the load part's apps, from " + ",".join(ALL_APPS))
    p.add_argument("--processes", default="1,2,4,8", help="the load part's worker counts")
    p.add_argument("--threads", default="1,4", help="the load part's threads per worker")
    p.add_argument("--workers", default="1,2,4,8", help="the memory part's worker counts")
    p.add_argument("--memory-app", default="django", help="the memory part's app (django)")
    p.add_argument("--servers", default=",".join(SERVERS), help="subset of gantry,uwsgi")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = p.parse_args(argv)
    args.part = _names(args.part, ("load", "memory"), "part")
    args.apps = _names(args.apps, ALL_APPS, "app")
    args.servers = _names(args.servers, SERVERS, "server")
    if args.memory_app not in ALL_APPS:
        p.error(f"unknown app {args.memory_app}")
    for name in ("processes", "threads", "workers"):
        try:
            counts = [int(x) for x in getattr(args, name).split(",") if x]
        except ValueError:
            p.error(f"--{name}: comma-separated whole numbers")
        if not counts or min(counts) < 1:
            p.error(f"--{name}: at least one count, each 1 or more")
        setattr(args, name, counts)
    return args


def _names(text: str, known, what: str) -> list[str]:
    names = [x for x in text.split(",") if x]
    unknown = [x for x in names if x not in known]
    if unknown or not names:
        sys.exit(f"scaling: unknown or no {what}: {','.join(unknown)} "
                 f"(choose from {','.join(known)})")
    return names


def say(text: str) -> None:
    print(text, flush=True)


def rotate(items: list, k: int) -> list:
    k %= len(items)
    return items[k:] + items[:k]


def estimate_s(args) -> float:
    per_server = 0.0
    if "load" in args.part:
        for app in args.apps:
            overhead = OVERHEAD_HELLO_S if app == "hello" else OVERHEAD_DJANGO_S
            per_server += len(args.processes) * len(args.threads) * (
                args.duration + args.warmup + overhead)
    if "memory" in args.part:
        per_server += sum(memory_load_s(args, n) + OVERHEAD_MEMORY_S for n in args.workers)
    return per_server * len(args.servers) * args.repeats


# --- the load part -------------------------------------------------------------------

def thread_options(threads: int) -> list[str]:
    # Both servers spell it --threads (gantry: docs/options.md; uWSGI: core/uwsgi.c).
    return ["--threads", str(threads)] if threads > 1 else []


def least_disturbed_run(inst: Instance, duration: int) -> dict:
    limit = STEAL_LIMIT * duration * (os.cpu_count() or 1)
    attempts = []
    for _ in range(1 + STEAL_RETRIES):
        attempts.append(measure.load_run(inst, CONNECTIONS, duration, probe=False))
        if attempts[-1].get("steal_s", 0) <= limit:
            break
        say(f"    (the hypervisor took {attempts[-1]['steal_s']:.2f} s of CPU: run again)")
    best = min(attempts, key=lambda r: r.get("steal_s", 0))
    return best | {"attempts": len(attempts), "steal_limit_s": limit}


def load_one(args, server: str, app_name: str, processes: int, threads: int,
             workdir: Path) -> dict:
    """One server alone: start, check, warm up, the measured run, stop."""
    app = ALL_APPS[app_name]
    inst = Instance(server, app, TOPOLOGY, workdir, workers=processes,
                    extra=thread_options(threads))
    row = {"server": server, "app": app_name, "topology": TOPOLOGY,
           "connections": CONNECTIONS, "processes": processes, "threads": threads}
    try:
        problem = measure.start_checked(inst)
        if problem is None and args.warmup > 0:
            try:
                load.wrk(inst.port, app, CONNECTIONS, args.warmup)
            except RuntimeError as e:
                problem = f"warm-up failed: {e}"
        if problem is not None:
            return row | {"check_failed": problem}
        row |= least_disturbed_run(inst, args.duration)
        seen = len(procstat.tree(inst.pid))
        row["processes_seen"] = seen
        if seen != processes + 1 and "check_failed" not in row:
            row["check_failed"] = f"{seen} processes, expected master + {processes}"
        return row
    finally:
        inst.stop()


def load_part(args, workdir: Path, rows: list) -> None:
    configs = [(a, p, t) for a in args.apps for t in args.threads for p in args.processes]
    for r in range(args.repeats):
        for g, (app, p, t) in enumerate(configs):
            for server in rotate(args.servers, r + g):
                row = load_one(args, server, app, p, t, workdir / f"load-{r}-{g}-{server}")
                rows.append(row | {"repeat": r})
                say(f"[{r + 1}/{args.repeats}] {app} p{p} t{t} {LABEL[server]}: "
                    + run_line(row))


def run_line(row: dict) -> str:
    if "check_failed" in row:
        return "FAILED: " + row["check_failed"].splitlines()[0]
    text = (f"{row['rps']:.0f} req/s, {row['cpu_us_per_req']:.1f} µs CPU/req, "
            f"p50 {row['p50_us'] / 1000:.2f} ms, p99 {row['p99_us'] / 1000:.2f} ms, "
            f"{row['errors']} errors")
    if row["builds_seen"] or row["foreign_cpu_s"] > 0.5:
        text += (f" [noise: {','.join(row['builds_seen'])} "
                 f"{row['foreign_cpu_s']:.1f} s foreign CPU]")
    return text


# --- the memory part -----------------------------------------------------------------

def memory_load_s(args, workers: int) -> int:
    """Seconds of load before the reading: --memory-load up to 4 workers, longer beyond, so
    that each worker serves as many requests as in run.py's 4-worker reading. A worker that
    has not reached its first full collection yet would read low (uWSGI's) for N = 8."""
    return max(args.memory_load, math.ceil(args.memory_load * workers / MEMORY_LOAD_WORKERS))


def memory_part(args, workdir: Path, rows: list) -> None:
    app = ALL_APPS[args.memory_app]
    for r in range(args.repeats):
        for g, n in enumerate(args.workers):
            for server in rotate(args.servers, r + g):
                seconds = memory_load_s(args, n)
                row = measure.memory_after_load(server, app, workdir / f"mem-{r}-{g}-{server}",
                                                False, n, seconds)
                rows.append(row | {"repeat": r, "load_s": seconds})
                say(f"[{r + 1}/{args.repeats}] memory {app.name} {n} workers "
                    f"{LABEL[server]}: " + memory_line(row))


def worker_pss_kib(row: dict) -> float | None:
    pss = row.get("worker_pss_kib") or []
    return sum(pss) / len(pss) if pss else None


def memory_line(row: dict) -> str:
    if "check_failed" in row:
        return "FAILED: " + row["check_failed"].splitlines()[0]
    return (f"PSS {row['pss_total_kib'] / 1024:.1f} MiB (master "
            f"{row['master_pss_kib'] / 1024:.1f}, per worker "
            f"{worker_pss_kib(row) / 1024:.1f}), {row['errors']} errors under load")


# --- summary and tables --------------------------------------------------------------

def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _ratio(a, b):
    return a / b if a is not None and b else None


def summarize(results: dict) -> dict:
    load_cells: dict[str, dict] = {}
    for row in results["load"]:
        key = f"{row['app']}|{row['processes']}|{row['threads']}"
        load_cells.setdefault(key, {}).setdefault(row["server"], []).append(row)
    load_summary = {}
    for key, per in load_cells.items():
        cell = {}
        for server, rows in per.items():
            ok = [r for r in rows if "check_failed" not in r]
            cell[server] = {
                "runs": len(ok), "failed": len(rows) - len(ok),
                "rps": _median([r["rps"] for r in ok]),
                "cpu_us_per_req": _median([r["cpu_us_per_req"] for r in ok]),
                "nginx_cpu_us_per_req": _median(
                    [r["nginx_cpu_s"] / r["requests"] * 1e6 for r in ok if r["requests"]]),
                "p50_ms": _median([r["p50_us"] / 1000 for r in ok]),
                "p99_ms": _median([r["p99_us"] / 1000 for r in ok]),
                "errors": sum(r["errors"] for r in ok),
            }
        g, u = cell.get("gantry", {}), cell.get("uwsgi", {})
        cell["rps_ratio"] = _ratio(g.get("rps"), u.get("rps"))
        cell["cpu_ratio"] = _ratio(g.get("cpu_us_per_req"), u.get("cpu_us_per_req"))
        load_summary[key] = cell

    mem_cells: dict[int, dict] = {}
    for row in results["memory"]:
        mem_cells.setdefault(row["workers"], {}).setdefault(row["server"], []).append(row)
    memory_summary = {}
    for n, per in sorted(mem_cells.items()):
        cell = {}
        for server, rows in per.items():
            ok = [r for r in rows if "check_failed" not in r]
            cell[server] = {
                "readings": len(ok), "failed": len(rows) - len(ok),
                "pss_total_mib": _kib_to_mib(_median([r["pss_total_kib"] for r in ok])),
                "master_pss_mib": _kib_to_mib(_median([r["master_pss_kib"] for r in ok])),
                "worker_pss_mib": _kib_to_mib(_median([worker_pss_kib(r) for r in ok])),
                "worker_uss_mib": _kib_to_mib(_median(
                    [sum(r["worker_uss_kib"]) / len(r["worker_uss_kib"]) for r in ok
                     if r["worker_uss_kib"]])),
            }
        g, u = cell.get("gantry", {}), cell.get("uwsgi", {})
        cell["pss_total_ratio"] = _ratio(g.get("pss_total_mib"), u.get("pss_total_mib"))
        cell["worker_pss_ratio"] = _ratio(g.get("worker_pss_mib"), u.get("worker_pss_mib"))
        memory_summary[str(n)] = cell
    return {"load": load_summary, "memory": memory_summary,
            "memory_per_added_worker_mib": _slopes(memory_summary)}


def _kib_to_mib(x):
    return None if x is None else x / 1024


def _slopes(memory_summary: dict) -> dict:
    """Least-squares slope of PSS total over N, per server: what one more worker costs."""
    out = {}
    for server in SERVERS:
        points = [(int(n), c[server]["pss_total_mib"]) for n, c in memory_summary.items()
                  if c.get(server, {}).get("pss_total_mib") is not None]
        if len(points) < 2:
            continue
        xs, ys = zip(*points)
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mx) ** 2 for x in xs)
        if var:
            out[server] = sum((x - mx) * (y - my) for x, y in points) / var
    return out


def _fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def _fmt_ratio(x):
    return "—" if x is None else f"**{x:.2f}**"


def _cpu_digits(x):
    return 1 if x is not None and x < 1000 else 0


def markdown(results: dict) -> str:
    s = results["summary"]
    out = []
    if s["load"]:
        out += ["(a) nginx `uwsgi_pass` over TCP, 32 connections: req/s and server CPU per "
                "request (master + workers), medians",
                "",
                "| app | processes | threads | req/s gantry | uWSGI | gantry ÷ uWSGI "
                "| CPU µs/req gantry | uWSGI | gantry ÷ uWSGI |",
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
        for key, cell in s["load"].items():
            app, p, t = key.split("|")
            g, u = cell.get("gantry", {}), cell.get("uwsgi", {})
            gc, uc = g.get("cpu_us_per_req"), u.get("cpu_us_per_req")
            out.append(f"| {app} | {p} | {t} | {_fmt(g.get('rps'))} | {_fmt(u.get('rps'))} "
                       f"| {_fmt_ratio(cell['rps_ratio'])} | {_fmt(gc, _cpu_digits(gc))} "
                       f"| {_fmt(uc, _cpu_digits(uc))} | {_fmt_ratio(cell['cpu_ratio'])} |")
        out.append("")
    if s["memory"]:
        out += [f"(b) PSS of master + N preloaded {results['config']['memory_app']} workers "
                f"after {results['config']['memory_load']} s of 32 connections "
                f"(N > {MEMORY_LOAD_WORKERS}: N/{MEMORY_LOAD_WORKERS} times as long), "
                "MiB, medians",
                "",
                "| workers | PSS total gantry | uWSGI | gantry ÷ uWSGI | PSS per worker gantry "
                "| uWSGI | gantry ÷ uWSGI | master PSS gantry | uWSGI |",
                "|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
        for n, cell in s["memory"].items():
            g, u = cell.get("gantry", {}), cell.get("uwsgi", {})
            out.append(f"| {n} | {_fmt(g.get('pss_total_mib'), 1)} "
                       f"| {_fmt(u.get('pss_total_mib'), 1)} "
                       f"| {_fmt_ratio(cell['pss_total_ratio'])} "
                       f"| {_fmt(g.get('worker_pss_mib'), 1)} | {_fmt(u.get('worker_pss_mib'), 1)} "
                       f"| {_fmt_ratio(cell['worker_pss_ratio'])} "
                       f"| {_fmt(g.get('master_pss_mib'), 1)} | {_fmt(u.get('master_pss_mib'), 1)} |")
        slopes = s["memory_per_added_worker_mib"]
        if slopes:
            out += ["", "Each added worker (least-squares slope of PSS total over N): "
                    + ", ".join(f"{LABEL[k]} {v:.1f} MiB" for k, v in slopes.items()) + "."]
        out.append("")
    failed = [r for r in results["load"] + results["memory"] if "check_failed" in r]
    errors = [r for r in results["load"] if r.get("errors")]
    noisy = [r for r in results["load"] if r.get("builds_seen") or r.get("foreign_cpu_s", 0) > 0.5]
    out.append(f"{len(failed)} failed runs, {len(errors)} runs with wrk errors, {len(noisy)} "
               f"runs that shared the machine (a build, or > 0.5 s of foreign CPU).")
    for r in failed:
        where = (f"{r['app']} p{r['processes']} t{r['threads']}" if "threads" in r
                 else f"memory {r['app']} {r['workers']} workers")
        out.append(f"- FAILED {where} {r['server']}: {r['check_failed'].splitlines()[0]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    say(f"scaling: about {estimate_s(args) / 60:.1f} min")
    fingerprint = gantry_fingerprint()
    results = {"started": stamp, "machine": report.machine(), "versions": versions(),
               "config": vars(args) | {"topology": TOPOLOGY, "connections": CONNECTIONS},
               "gantry_sha256_prefix": fingerprint, "load": [], "memory": []}
    workdir = Path(tempfile.mkdtemp(prefix="gantry-scaling-"))
    say(f"scaling: work directory {workdir}")
    try:
        if "load" in args.part:
            load_part(args, workdir, results["load"])
        if "memory" in args.part:
            memory_part(args, workdir, results["memory"])
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results["wall_time_s"] = time.time() - started
    results["gantry_rebuilt_during_run"] = gantry_fingerprint() != fingerprint
    results["summary"] = summarize(results)
    out = BENCH / "results" / f"scaling-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    say(markdown(results))
    if results["gantry_rebuilt_during_run"]:
        say("scaling: build/gantry changed during the run: the figures mix two binaries")
    say(f"scaling: {out.relative_to(BENCH.parent)} ({results['wall_time_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
