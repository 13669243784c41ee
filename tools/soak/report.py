"""The soak's verdict: failures sorted into "in a killed worker" and "unexpected", then
the report, as JSON (everything) and as text (the summary a person reads)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def request_pids(path: Path, wanted: set[str]) -> dict[str, int]:
    """request id -> pid of the worker whose app saw it, for the ids in `wanted`
    (the app notes "PID ID" before it runs; see soak_apps.py)."""
    found = {}
    if not wanted or not path.exists():
        return found
    with path.open(errors="replace") as f:
        for line in f:
            pid, _, rid = line.strip().partition(" ")
            if rid in wanted and pid.isdigit():
                found[rid] = int(pid)
    return found


def classify(failures: list[dict], kills: list[dict], app_pids: dict[str, int],
             window: float) -> None:
    """Set each failure's verdict (and why):

    - killed-worker: the worker that had it (its X-Soak-Pid, or the app's note of its
      X-Soak-Id) is one the soak killed with SIGKILL; or no worker is known to have had
      it and a kill happened while it was in flight or up to `window` s before it began.
    - unexpected: everything else.
    """
    killed = {k["pid"]: k["at"] for k in kills if k.get("pid")}
    for f in failures:
        pid = f["pid"] or app_pids.get(f["rid"])
        f["pid"] = pid
        if pid is not None:
            if pid in killed:
                f["verdict"], f["why"] = "killed-worker", f"worker {pid} was killed at +{killed[pid]} s"
            else:
                f["verdict"], f["why"] = "unexpected", f"worker {pid} had it and was not killed"
            continue
        near = [(pid_, at) for pid_, at in killed.items()
                if f["start"] - window <= at <= f["end"]]
        if near:
            pid_, at = near[0]
            f["verdict"] = "killed-worker"
            f["why"] = (f"no worker saw it; worker {pid_} was killed at +{at} s, "
                        f"while it was in flight or just before")
        else:
            f["verdict"], f["why"] = "unexpected", "no worker saw it and no kill was near"


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[i]


def latency_summary(kinds: dict) -> dict:
    out, everything = {}, []
    worst_all = (0.0, "", 0.0, "")
    for name, k in sorted(kinds.items()):
        lat = sorted(k.latencies)
        everything += lat
        out[name] = {"sent": k.sent, "ok": k.ok, "failed": k.failed, "retried": k.retried,
                     "upload_bytes": k.upload_bytes,
                     "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
                     "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
                     "worst_ms": round(k.worst[0] * 1000, 1),
                     "worst_request": k.worst[1], "worst_at": round(k.worst[2], 1)}
        if k.worst[0] > worst_all[0]:
            worst_all = (k.worst[0], k.worst[1], k.worst[2], name)
    everything.sort()
    total = {"p50_ms": round(percentile(everything, 0.50) * 1000, 1),
             "p99_ms": round(percentile(everything, 0.99) * 1000, 1),
             "worst_ms": round(worst_all[0] * 1000, 1),
             "worst_request": worst_all[1], "worst_at": round(worst_all[2], 1),
             "worst_kind": worst_all[3]}
    return {"by_kind": out, "all": total}


def memory_table(start: dict, end: dict) -> list[str]:
    def mib(kb):
        return f"{kb / 1024:7.1f}" if kb is not None else "      -"

    lines = [f"    {'process':<28} {'start MiB':>9} {'end MiB':>9}"]
    m0, m1 = start["master"], end["master"]
    lines.append(f"    {'gantry master ' + str(m0['pid']):<28} {mib(m0['rss_kb']):>9} "
                 f"{mib(m1['rss_kb']):>9}")
    w0, w1 = start["workers"], end["workers"]
    for i in range(max(len(w0), len(w1))):
        a = w0[i] if i < len(w0) else None
        b = w1[i] if i < len(w1) else None
        label = f"gantry worker {a['pid'] if a else '-'} -> {b['pid'] if b else '-'}"
        lines.append(f"    {label:<28} {mib(a['rss_kb'] if a else None):>9} "
                     f"{mib(b['rss_kb'] if b else None):>9}")
    n0 = {p["role"] + " " + str(p["pid"]): p for p in start["nginx"]}
    n1 = {p["role"] + " " + str(p["pid"]): p for p in end["nginx"]}
    for key in sorted(set(n0) | set(n1)):
        a, b = n0.get(key), n1.get(key)
        lines.append(f"    {'nginx ' + key:<28} {mib(a['rss_kb'] if a else None):>9} "
                     f"{mib(b['rss_kb'] if b else None):>9}")
    return lines


def worker_fd_average(snap: dict) -> float:
    counts = [w["fds"] for w in snap["workers"] if w["fds"] is not None]
    return round(sum(counts) / len(counts), 1) if counts else 0.0


def render(r: dict) -> str:
    """The text report (r is the JSON report)."""
    req, lat = r["requests"], r["latency"]["all"]
    ev, log = r["events"], r["gantry_log"]
    slow, bad = r["slow_clients"], r["malformed"]
    fd = r["descriptors"]
    lines = [
        f"Gantry soak: {r['duration_s']} s of mixed load behind nginx — "
        f"{'PASS' if r['pass'] else 'FAIL'}",
        f"  gantry {' '.join(r['gantry_args'])}",
        f"  run folder: {r['run_dir']}",
        "",
        "Requests (normal clients, every answer checked)",
        f"  sent {req['sent']}, succeeded {req['succeeded']}, failed {req['failed']}: "
        f"{req['failed_in_killed_worker']} in a killed worker, {req['failed_unexpected']} unexpected",
        f"  keep-alive retries (a reused connection the server had closed): {req['retries']}, "
        f"of which the app had already run (answer lost): {req['retries_answer_lost']}",
        f"  uploads verified: {req['uploads_verified']} ({req['upload_mib']} MiB)",
        f"  latency of the successes: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, "
        f"worst {lat['worst_ms']} ms ({lat['worst_request']} at +{lat['worst_at']} s)",
        f"    {'kind':<12} {'sent':>7} {'ok':>7} {'failed':>6} {'retried':>7} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'worst ms':>9}",
    ]
    for name, k in r["latency"]["by_kind"].items():
        lines.append(f"    {name:<12} {k['sent']:>7} {k['ok']:>7} {k['failed']:>6} "
                     f"{k['retried']:>7} {k['p50_ms']:>8} {k['p99_ms']:>8} {k['worst_ms']:>9}")
    if r["unexpected_failures"]:
        lines.append("  unexpected failures (first 10; all in failures.jsonl):")
        for f in r["unexpected_failures"][:10]:
            lines.append(f"    +{f['start']}..{f['end']} s {f['kind']} {f['method']} {f['path']} "
                         f"via {f['target']}: {f['error']} (status {f['status']}, pid {f['pid']}; "
                         f"{f['why']})")
    lines += [
        "",
        f"Slow clients (straight to gantry, {r['slow_cap_s']} s cap): {slow['total']}",
        f"  cut off by gantry: {slow['cut_off']} (after {slow['cut_off_seconds']}), "
        f"outlasted the cap: {slow['outlasted']}, ended with the soak: {slow['soak_ended']}, "
        f"could not connect: {slow['connect_failed']}",
    ]
    for mode, outcomes in slow["by_mode"].items():
        lines.append(f"    {mode:<20} " + ", ".join(
            f"{o} {n} ({lo}-{hi} s)" if lo != hi else f"{o} {n} ({lo} s)"
            for o, (n, lo, hi) in outcomes.items()))
    lines += [
        f"Malformed requests (straight to gantry): {bad['total']}: refused with an error "
        f"status {bad['refused']}, closed without an answer {bad['closed']}, "
        f"no verdict in 10 s {bad['no_verdict']}, accepted {bad['accepted']}",
    ]
    if bad["accepted_cases"] or bad["no_verdict_cases"]:
        lines.append(f"    accepted: {bad['accepted_cases']}; no verdict: {bad['no_verdict_cases']}")
    lines += [
        "",
        f"Events sent: SIGHUP {ev['sighup']}, SIGUSR2 {ev['sigusr2']}, kill -9 {ev['kills']}",
        f"Seen in gantry's log: reloads {log['reloads']}, chain reloads {log['chain_reloads']}, "
        f"exits of kill -9'd workers {log['sigkilled_by_soak']}, recycles (--max-requests) {log['recycles']}, "
        f"reload failures {log['reload_failures']}, workers spawned {log['spawned']}, "
        f"unexplained worker exits {len(log['unexplained_worker_exits'])}",
    ]
    for line in log["unexplained_worker_exits"][:10]:
        lines.append(f"    {line}")
    if log["kills_without_exit_line"]:
        lines.append(f"  killed workers whose exit gantry never logged (it had lost track of "
                     f"them): {log['kills_without_exit_line']}")
    if log["errors"]:
        lines.append("  gantry error lines by kind:")
        lines += [f"    {n:>6} × {shape}" for shape, n in list(log["errors"].items())[:10]]
    if log["warnings"]:
        lines.append("  gantry warning lines by kind:")
        lines += [f"    {n:>6} × {shape}" for shape, n in list(log["warnings"].items())[:10]]
    lines.append(f"  gantry's request log by status: {log['request_statuses']}")
    ng = r["nginx_log"]
    lines.append(f"  nginx's access log by status: {ng['statuses']}")
    if ng["errors"]:
        lines.append("  nginx error lines by kind:")
        lines += [f"    {n:>6} × {shape}" for shape, n in list(ng["errors"].items())[:8]]
    lines += [
        "",
        "Memory (RSS)",
        *memory_table(r["snapshots"]["start"], r["snapshots"]["end"]),
        "Descriptors",
        f"  master: {fd['master_start']} -> {fd['master_end']} "
        f"({fd['master_kinds_start']} -> {fd['master_kinds_end']})",
        f"  workers, average: {fd['worker_avg_start']} -> {fd['worker_avg_end']}",
        f"Zombie children of the master at the end: {r['snapshots']['end'].get('zombies') or 'none'}",
        "",
        f"gantry's exit status after SIGTERM: {r['gantry_exit']}; final check of every app "
        f"through nginx: {r['final_check']}",
    ]
    if r["problems"]:
        lines.append("FAIL: " + "; ".join(r["problems"]))
    else:
        lines.append("PASS: no unexpected failure, the master's descriptors did not grow")
    lines.append(f"JSON report: {r['json_path']}")
    return "\n".join(lines)


def count_outcomes(records: list[dict], key: str) -> Counter:
    return Counter(rec[key] for rec in records)
