"""From raw runs to medians, gantry/uWSGI ratios, target verdicts and the README table."""

from __future__ import annotations

import os
import platform
import statistics
from collections import defaultdict
from pathlib import Path

BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
SERVER_NAMES = ("gantry", "uwsgi", "gunicorn")
LABEL = {"gantry": "gantry", "uwsgi": "uWSGI", "gunicorn": "gunicorn"}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "mem_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
            "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}


def one_line(row: dict) -> str:
    """A progress line for one run."""
    where = " ".join(str(row[k]) for k in ("app", "topology") if k in row)
    if "connections" in row:
        where += f" c{row['connections']}"
    head = f"{where} {row['server']}:"
    if "check_failed" in row:
        return f"{head} FAILED: {row['check_failed'].splitlines()[0]}"
    if "cold_start_s" in row:
        return f"{head} {row['cold_start_s'] * 1000:.0f} ms to the first response"
    if "pss_total_kib" in row:
        return (f"{head} PSS {row['pss_total_kib'] / 1024:.1f} MiB, worker USS "
                f"{_mean(row['worker_uss_kib']) / 1024:.1f} MiB")
    text = (f"{head} {row['rps']:.0f} req/s, p50 {row['p50_us'] / 1000:.2f} ms, "
            f"p99 {row['p99_us'] / 1000:.2f} ms, {row['cpu_us_per_req']:.1f} µs CPU/req, "
            f"{row['errors']} errors")
    probe = row.get("new_connection_probe")
    if probe:
        text += f", new-connection max {_secs(probe['max_s'])} ({probe['failed']} unanswered)"
    if row["builds_seen"] or row["foreign_cpu_s"] > 0.5:
        text += f" [noise: {','.join(row['builds_seen'])} {row['foreign_cpu_s']:.1f} s foreign CPU]"
    return text


def _mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _secs(x):
    return "none" if x is None else f"{x * 1000:.0f} ms"


def summarize(results: dict) -> dict:
    groups = defaultdict(list)
    for row in results["load"]:
        groups[(row["app"], row["topology"], row["connections"], row["server"])].append(row)
    load = {}
    for (app, topo, conns, server), rows in groups.items():
        ok = [r for r in rows if "check_failed" not in r]
        probes = [r["new_connection_probe"] for r in ok if "new_connection_probe" in r]
        load.setdefault(f"{app}|{topo}|{conns}", {})[server] = {
            "runs": len(rows), "failed_checks": len(rows) - len(ok),
            "rps": _median([r["rps"] for r in ok]),
            "p50_us": _median([r["p50_us"] for r in ok]),
            "p99_us": _median([r["p99_us"] for r in ok]),
            "cpu_us_per_req": _median([r["cpu_us_per_req"] for r in ok]),
            "nginx_cpu_us_per_req": _median([r["nginx_cpu_s"] / r["requests"] * 1e6 for r in ok
                                             if r.get("nginx_cpu_s") and r["requests"]]),
            "errors": sum(r["errors"] for r in ok),
            "noisy_runs": sum(1 for r in ok if r["builds_seen"] or r["foreign_cpu_s"] > 0.5),
            "probe_max_s": max((p["max_s"] for p in probes if p["max_s"] is not None),
                               default=None),
            "probe_unanswered": sum(p["failed"] for p in probes),
        }
    for per in load.values():
        g, u = per.get("gantry"), per.get("uwsgi")
        if g and u:
            per["ratio"] = {k: (g[k] / u[k] if g[k] and u[k] else None)
                            for k in ("rps", "cpu_us_per_req", "p99_us")}
    keepalive = {app: cmp for app in KEEPALIVE_APPS
                 if (cmp := keepalive_comparison(load, app)) is not None}
    cold = defaultdict(list)
    for row in results["cold_start"]:
        cold[row["server"]].append(row.get("cold_start_s"))
    memory = defaultdict(list)
    for row in results["memory"]:
        if "check_failed" not in row and row["topology"] == "nginx-tcp":
            memory[f"{row['app']}|{row['workers']}|{row['server']}"].append(row)
    return {
        "load": load,
        "keepalive": keepalive,
        "cold_start_s": {s: _median(v) for s, v in cold.items()},
        "memory": {k: {"pss_total_mib": _median([r["pss_total_kib"] / 1024 for r in rows]),
                       "master_uss_mib": _median([r["master_uss_kib"] / 1024 for r in rows]),
                       "worker_uss_mib": _median([_mean(r["worker_uss_kib"]) / 1024
                                                  for r in rows])}
                   for k, rows in memory.items()},
    }


# The keep-alive path (nginx's pool of upstream connections -> gantry's HTTP socket) is
# compared with uWSGI's best uwsgi_pass figure for the same app in the same run: over TCP or
# over a unix socket, whichever served more req/s. (app, req/s bound).
KEEPALIVE_APPS = {"hello": 1.5, "flask": 1.1, "django": 1.1}


def _machine_cpu(cell: dict) -> float | None:
    """Server + nginx CPU per request: what the machine pays for one."""
    if cell.get("cpu_us_per_req") is None or cell.get("nginx_cpu_us_per_req") is None:
        return None
    return cell["cpu_us_per_req"] + cell["nginx_cpu_us_per_req"]


def keepalive_comparison(load: dict, app: str) -> dict | None:
    g = load.get(f"{app}|nginx-keepalive|32", {}).get("gantry")
    peers = [(topo, load[f"{app}|{topo}|32"]["uwsgi"]) for topo in ("nginx-tcp", "nginx-unix")
             if load.get(f"{app}|{topo}|32", {}).get("uwsgi", {}).get("rps")]
    if not g or not g.get("rps") or not peers:
        return None
    topo, u = max(peers, key=lambda p: p[1]["rps"])
    gu, uu = _machine_cpu(g), _machine_cpu(u)
    return {"uwsgi_path": topo, "gantry_rps": g["rps"], "uwsgi_rps": u["rps"],
            "rps_ratio": g["rps"] / u["rps"], "gantry_machine_us": gu, "uwsgi_machine_us": uu,
            "machine_cpu_ratio": gu / uu if gu and uu else None,
            "p99_ratio": g["p99_us"] / u["p99_us"] if g.get("p99_us") and u.get("p99_us")
            else None}


# (label, scenario key, measure, bound, "min" means gantry/uWSGI >= bound)
TARGETS = [
    ("hello behind nginx, 32 conns: req/s", "hello|nginx-tcp|32", "rps", 1.5, "min"),
    ("hello behind nginx, 32 conns: CPU/request", "hello|nginx-tcp|32", "cpu_us_per_req", 0.6, "max"),
    ("Flask behind nginx, 32 conns: req/s", "flask|nginx-tcp|32", "rps", 1.2, "min"),
    ("Django behind nginx, 32 conns: req/s", "django|nginx-tcp|32", "rps", 1.1, "min"),
    ("1 MiB response behind nginx, 32 conns: req/s", "1mib-response|nginx-tcp|32", "rps", 1.3, "min"),
    ("1 MiB response behind nginx, 1 conn: p99", "1mib-response|nginx-tcp|1", "p99_us", 1.0, "max"),
    ("1 MiB upload behind nginx, 32 conns: req/s", "1mib-upload|nginx-tcp|32", "rps", 1.3, "min"),
    ("own HTTP socket, hello, 32 keep-alive conns: req/s", "hello|http|32", "rps", 2.0, "min"),
]


def targets(summary: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows."""
    out = []
    for label, key, measure, bound, kind in TARGETS:
        ratio = summary["load"].get(key, {}).get("ratio", {}).get(measure)
        out.append(_bounded(_verdict(label, ratio, bound, kind), summary["load"].get(key, {})))
    for app, bound in KEEPALIVE_APPS.items():
        cmp = summary.get("keepalive", {}).get(app)
        out.append(_verdict(f"keep-alive path ({app}, 32 conns): req/s ÷ uWSGI's best uwsgi_pass",
                            cmp and cmp["rps_ratio"], bound, "min"))
    cmp = summary.get("keepalive", {}).get("hello")
    out.append(_verdict("keep-alive path (hello): server + nginx CPU/request ÷ uWSGI's best "
                        "uwsgi_pass", cmp and cmp["machine_cpu_ratio"], 1.0, "max"))
    hello_http = summary["load"].get("hello|http|32", {}).get("gantry", {})
    worst = hello_http.get("probe_max_s")
    unanswered = hello_http.get("probe_unanswered", 0)
    ok = worst is not None and worst <= 0.1 and unanswered == 0
    out.append(("own HTTP socket: a new connection under load answered within 100 ms",
                f"max {_secs(worst)}, {unanswered} unanswered", "met" if ok else "**missed**"))
    # A server that starves 30 of 32 clients answers the other 2 fast: its p99 is no yardstick.
    p99 = [(k, per["ratio"]["p99_us"]) for k, per in summary["load"].items()
           if per.get("ratio", {}).get("p99_us") and not _starves(per.get("uwsgi", {}))]
    if p99:
        key, ratio = max(p99, key=lambda kv: kv[1])
        worse = sum(1 for _, r in p99 if r > 1.0)
        out.append(("p99 latency no worse than uWSGI's, any scenario where uWSGI does not starve "
                    "clients", f"worst {ratio:.2f}× ({key.replace('|', ' ')}); {worse} of "
                    f"{len(p99)} worse", "met" if worse == 0 else "**missed**"))
    errors = sum(per.get("gantry", {}).get("errors", 0) + per.get("gantry", {}).get("failed_checks", 0)
                 for per in summary["load"].values())
    out.append(("zero errors (gantry)", f"{errors}", "met" if errors == 0 else "**missed**"))
    mem = summary["memory"]
    g, u = mem.get("django|4|gantry"), mem.get("django|4|uwsgi")
    ratio = g["pss_total_mib"] / u["pss_total_mib"] if g and u else None
    out.append(_verdict("PSS, master + 4 Django workers, preloaded", ratio, 0.7, "max"))
    cold = summary["cold_start_s"]
    ratio = cold["gantry"] / cold["uwsgi"] if cold.get("gantry") and cold.get("uwsgi") else None
    out.append(_verdict("cold start to the first Django response, preloaded", ratio, 1.0, "max"))
    return out


# nginx runs one worker process in the bench: busier than this share of one core during
# gantry's run, it, not the server behind it, sets the pace.
NGINX_SATURATED = 0.85


def _bounded(row: tuple[str, str, str], per: dict) -> tuple[str, str, str]:
    """A missed target behind nginx, annotated with nginx's load when nginx was the limit."""
    label, measured, verdict = row
    g, u = per.get("gantry", {}), per.get("uwsgi", {})
    busy = [c["rps"] * c["nginx_cpu_us_per_req"] / 1e6 for c in (g, u)
            if c.get("rps") and c.get("nginx_cpu_us_per_req")]
    if verdict != "met" and len(busy) == 2 and min(busy) >= NGINX_SATURATED:
        measured += (f"; nginx's one worker {busy[0]:.0%} busy with gantry, {busy[1]:.0%} with "
                     "uWSGI: bounded by nginx")
    return label, measured, verdict


def _starves(cell: dict) -> bool:
    """A new connection waited more than a second during the server's keep-alive load."""
    return (cell.get("probe_max_s") or 0) > 1.0 or cell.get("probe_unanswered", 0) > 0


def _verdict(label, ratio, bound, kind):
    if ratio is None:
        return (label, "not measured", "—")
    ok = ratio >= bound if kind == "min" else ratio <= bound
    sign = "≥" if kind == "min" else "≤"
    return (label, f"{ratio:.2f}× (target {sign} {bound}×)", "met" if ok else "**missed**")


def _fmt(x, scale=1.0, digits=0):
    return "—" if x is None else f"{x * scale:,.{digits}f}"


def _ratio(x):
    return "—" if x is None else f"{x:.2f}×"


def _load_tables(summary: dict) -> list[str]:
    lines = [
        "| app | path | conns | req/s gantry | uWSGI | gunicorn | gantry/uWSGI "
        "| CPU µs/req gantry | uWSGI | gunicorn | gantry/uWSGI |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    lat = [
        "| app | path | conns | p50 ms gantry | uWSGI | gunicorn | p99 ms gantry | uWSGI "
        "| gunicorn | p99 gantry/uWSGI | errors gantry / uWSGI / gunicorn |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, per in summary["load"].items():
        app, topo, conns = key.split("|")
        cells = [per.get(s, {}) for s in SERVER_NAMES]
        ratio = per.get("ratio", {})
        lines.append(f"| {app} | {topo} | {conns} | "
                     + " | ".join(_fmt(c.get("rps")) for c in cells)
                     + f" | {_ratio(ratio.get('rps'))} | "
                     + " | ".join(_fmt(c.get("cpu_us_per_req"), digits=1) for c in cells)
                     + f" | {_ratio(ratio.get('cpu_us_per_req'))} |")
        errs = " / ".join("—" if not c else str(c["errors"]) + (
            f" ({c['failed_checks']} failed checks)" if c["failed_checks"] else "")
            for c in cells)
        lat.append(f"| {app} | {topo} | {conns} | "
                   + " | ".join(_fmt(c.get("p50_us"), 1e-3, 2) for c in cells) + " | "
                   + " | ".join(_fmt(c.get("p99_us"), 1e-3, 2) for c in cells)
                   + f" | {_ratio(ratio.get('p99_us'))} | {errs} |")
    notes = []
    starving = [LABEL[srv] for srv in SERVER_NAMES
                if any(_starves(per.get(srv, {})) for per in summary["load"].values())]
    if starving:
        notes = ["", f"On the own HTTP socket at 32 connections, {', '.join(starving)} "
                 "served only the connections its workers held on to while new ones waited "
                 "(see the next table): its req/s and latency there are those of a few clients."]
    return lines + [""] + lat + notes


def _keepalive_table(summary: dict) -> list[str]:
    lines = ["| app | gantry, keep-alive path: req/s | server + nginx µs/req | uWSGI's best "
             "uwsgi_pass | req/s | server + nginx µs/req | req/s ratio | CPU ratio | p99 ratio |",
             "|---|--:|--:|---|--:|--:|--:|--:|--:|"]
    for app, c in summary.get("keepalive", {}).items():
        lines.append(f"| {app} | {_fmt(c['gantry_rps'])} | {_fmt(c['gantry_machine_us'], digits=1)}"
                     f" | {c['uwsgi_path']} | {_fmt(c['uwsgi_rps'])} "
                     f"| {_fmt(c['uwsgi_machine_us'], digits=1)} | {_ratio(c['rps_ratio'])} "
                     f"| {_ratio(c['machine_cpu_ratio'])} | {_ratio(c['p99_ratio'])} |")
    return lines


def _probe_table(summary: dict) -> list[str]:
    lines = ["| app | server | max latency of a new connection | unanswered |",
             "|---|---|--:|--:|"]
    for key, per in summary["load"].items():
        app, topo, conns = key.split("|")
        if topo != "http" or conns != "32":
            continue
        for s in SERVER_NAMES:
            if s in per:
                lines.append(f"| {app} | {LABEL[s]} | {_secs(per[s]['probe_max_s'])} "
                             f"| {per[s]['probe_unanswered']} |")
    return lines


def _memory_table(summary: dict) -> list[str]:
    lines = ["| app | workers | server | PSS total MiB | master USS MiB | USS per worker MiB |",
             "|---|--:|---|--:|--:|--:|"]
    for key, m in summary["memory"].items():
        app, workers, server = key.split("|")
        lines.append(f"| {app} | {workers} | {server} | {_fmt(m['pss_total_mib'], digits=1)} "
                     f"| {_fmt(m['master_uss_mib'], digits=1)} "
                     f"| {_fmt(m['worker_uss_mib'], digits=1)} |")
    lines += ["", "| server | cold start to the first Django response (2 workers) |", "|---|--:|"]
    lines += [f"| {s} | {_secs(v)} |" for s, v in summary["cold_start_s"].items()]
    return lines


def _anomalies(results: dict) -> list[str]:
    out = []
    rows = results["load"] + results["cold_start"] + results["memory"]
    for row in rows:
        if "check_failed" in row:
            where = " ".join(str(row.get(k, "")) for k in ("app", "topology", "connections"))
            out.append(f"- {row['server']} {where}: failed its check: "
                       f"`{row['check_failed'].splitlines()[0]}`")
    noisy = [r for r in results["load"] if r.get("builds_seen") or r.get("foreign_cpu_s", 0) > 0.5]
    if noisy:
        worst = max(r.get("foreign_cpu_s", 0) for r in noisy)
        out.append(f"- {len(noisy)} of {len(results['load'])} load runs shared the machine with "
                   f"other work (a build seen, or > 0.5 s of foreign CPU; worst {worst:.1f} s).")
    retried = [r for r in results["load"] if r.get("attempts", 1) > 1]
    if retried:
        out.append(f"- {len(retried)} of {len(results['load'])} load runs were run again because "
                   "the hypervisor stole more than 3% of the machine's CPU time during them "
                   "(the least disturbed attempt is kept).")
    stolen = [r for r in results["load"] if r.get("steal_s", 0) > r.get("steal_limit_s", 1e9)]
    if stolen:
        worst = max(r["steal_s"] for r in stolen)
        out.append(f"- {len(stolen)} load runs stayed disturbed after their retries "
                   f"(worst {worst:.1f} s of CPU stolen): read their rows with care.")
    if results.get("gantry_rebuilt_during_run"):
        out.append("- build/gantry was rebuilt during the run: its figures mix two builds.")
    return out or ["- none"]


def markdown(results: dict) -> str:
    m, v, c, s = results["machine"], results["versions"], results["config"], results["summary"]
    head = [
        f"Run {results['started']} on {m['nproc']} × {m['cpu']}, {m['mem_gib']} GiB, "
        f"Linux {m['kernel']}; {c['repeats']} repeats of {c['duration']:g} s runs, medians; "
        f"wall time {results['wall_time_s'] / 60:.1f} min.",
        "",
        "Versions: " + "; ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        "**Targets** (gantry ÷ uWSGI)",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    head += [f"| {a} | {b} | {c_} |" for a, b, c_ in targets(s)]
    parts = (head + ["", "**Throughput and server CPU per request**", ""] + _load_tables(s)
             + ["", "**The keep-alive path** (nginx `keepalive` pool, `proxy_http_version 1.1` "
                "-> gantry `--http-socket`, TCP) against uWSGI behind `uwsgi_pass`", ""]
             + _keepalive_table(s)
             + ["", "**New connections during 32 keep-alive connections** (own HTTP socket, "
                "one every 200 ms)", ""] + _probe_table(s)
             + ["", "**Memory after load** (preloaded unless marked lazy) **and cold start**", ""]
             + _memory_table(s) + ["", "**Anomalies**", ""] + _anomalies(results))
    return "\n".join(parts) + "\n"


def update_readme(path: Path, table: str) -> None:
    """Replaces what is between the markers in `path` with `table`."""
    text = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    path.write_text(f"{before}{BEGIN}\n{table}{END}{after}")
