"""Soak test: gantry under mixed load behind a real nginx, with reloads and kills.

    /usr/bin/python3 tools/soak.py [--duration SECONDS] [options]     (make soak)

One gantry serves the hello, Flask and Django examples and an upload app (--mount),
behind a private nginx. For --duration seconds (default $SOAK_SECONDS, else 600):
normal clients send checked requests through nginx (and a few straight to the
--http-socket), slow clients trickle requests straight to gantry's sockets,
malformed packets and requests are sent straight to gantry; the master gets a
SIGHUP every minute and a SIGUSR2 every so often, a random worker gets a kill -9
every 30 s, and --max-requests recycles workers. Then the report: see docs/soak.md.

Exit status: 0 when nothing unexpected happened, 1 otherwise, 2 if the soak itself
could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools" / "soak"), str(ROOT / "tools"),
                str(ROOT / "tests" / "integration")]

import observe  # noqa: E402
import report  # noqa: E402
import hostile  # noqa: E402
import traffic  # noqa: E402
import uwsgi_client  # noqa: E402
from nginx_front import NginxFront, free_port, render_site  # noqa: E402

GANTRY = ROOT / "build" / "gantry"
PYTHON = "/usr/bin/python3"  # the interpreter gantry embeds (Django and Flask are Debian's)
DJANGO = ROOT / "examples" / "django"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


class SoakError(Exception):
    """The soak cannot go on (gantry or nginx would not start, or died)."""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=float(os.environ.get("SOAK_SECONDS") or 600),
                   help="seconds of load (default: $SOAK_SECONDS, else 600)")
    p.add_argument("--processes", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-requests", type=int, default=500)
    p.add_argument("--hup-every", type=float, default=60, help="SIGHUP period (s)")
    p.add_argument("--chain-every", type=float, default=150, help="SIGUSR2 period (s)")
    p.add_argument("--chain-first", type=float, default=40, help="first SIGUSR2 at (s)")
    p.add_argument("--kill-every", type=float, default=30, help="kill -9 period (s)")
    p.add_argument("--kill-window", type=float, default=1.0,
                   help="a failure no worker saw, beginning up to this long after a kill, "
                        "is counted as in the killed worker (s)")
    p.add_argument("--slow-clients", type=int, default=1,
                   help="slow connections at a time on each of gantry's two sockets")
    p.add_argument("--slow-cap", type=float, default=30, help="a slow client gives up after (s)")
    p.add_argument("--slow-trickle", type=float, default=1.0,
                   help="a trickling slow client sends a byte this often (s)")
    p.add_argument("--malformed-every", type=float, default=0.5, help="seconds between two")
    p.add_argument("--think", type=float, default=0.05,
                   help="each normal client waits up to this long between requests (s)")
    p.add_argument("--gantry-arg", action="append", default=[],
                   help="one more argument for gantry (repeat it), e.g. --gantry-arg=--harakiri "
                        "--gantry-arg=20; also $SOAK_GANTRY_ARGS, split on spaces")
    p.add_argument("--out", type=Path, help="run folder (default build/soak/<timestamp>)")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    args.gantry_arg += os.environ.get("SOAK_GANTRY_ARGS", "").split()
    return args


# -- the pieces -----------------------------------------------------------------------------

def setup_django(data_dir: Path) -> None:
    """examples/django's own setup (migrate, a superuser, collectstatic) into the run folder."""
    cmd = [PYTHON, "manage.py", "demo_setup", "--verbosity", "0",
           "--username", "admin", "--password", "soak-not-a-secret-0"]
    res = subprocess.run(cmd, cwd=DJANGO, env={**os.environ, "GANTRY_DJANGO_DATA_DIR": str(data_dir)},
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise SoakError(f"the Django setup failed:\n{res.stdout}{res.stderr}")


def gantry_args(args, uwsgi_port: int, http_port: int) -> list[str]:
    return ["--pythonpath", str(ROOT / "tools" / "soak"),
            "--module", "soak_apps:hello",
            "--mount", "/flask=soak_apps:flask",
            "--mount", "/django=soak_apps:django",
            "--mount", "/up=soak_apps:uploads",
            "--socket", f"127.0.0.1:{uwsgi_port}",
            "--http-socket", f"127.0.0.1:{http_port}",
            "--processes", str(args.processes), "--threads", str(args.threads),
            "--max-requests", str(args.max_requests),
            *args.gantry_arg]


def start_gantry(cmd_args: list[str], run_dir: Path, uwsgi_address: str) -> subprocess.Popen:
    env = {**os.environ, "GANTRY_DJANGO_DATA_DIR": str(run_dir / "django-data"),
           "SOAK_REQUEST_LOG": str(run_dir / "app-requests.log")}
    with open(run_dir / "gantry.log", "wb") as log:
        proc = subprocess.Popen([str(GANTRY), *cmd_args], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # Ctrl-C reaches us only; we stop it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SoakError(f"gantry exited with status {proc.returncode} at start; "
                            f"see {run_dir / 'gantry.log'}")
        try:
            if uwsgi_client.request(uwsgi_address, path="/", timeout=5).status == 200 and \
                    "gantry ready:" in (run_dir / "gantry.log").read_text(errors="replace"):
                return proc
        except (OSError, uwsgi_client.ProtocolError):
            pass
        time.sleep(0.1)
    stop_gantry(proc)
    raise SoakError(f"gantry not ready after 60 s; see {run_dir / 'gantry.log'}")


def stop_gantry(proc: subprocess.Popen, timeout: float = 45) -> int | None:
    """SIGTERM (graceful), then SIGKILL to its process group; its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None
    return proc.returncode


def check_apps(nginx_port: int) -> str:
    """One GET per app through nginx: "ok", or what failed."""
    bad = []
    for path, want in [("/", b"Hello, World!"), ("/flask/", b"Gantry Flask example"),
                       ("/django/", b"Gantry Django example"), ("/up/", b"pid")]:
        try:
            with OPENER.open(f"http://127.0.0.1:{nginx_port}{path}", timeout=30) as r:
                if r.status != 200 or want not in r.read():
                    bad.append(f"{path}: status {r.status}")
        except OSError as e:
            bad.append(f"{path}: {e}")
    return "ok" if not bad else "; ".join(bad)


class Events(threading.Thread):
    """SIGHUP, SIGUSR2 and kill -9 on their schedule."""

    def __init__(self, args, master: int, ledger: traffic.Ledger, stop: threading.Event,
                 rng: random.Random):
        super().__init__(name="events", daemon=True)
        self.master, self.ledger, self.stop, self.rng = master, ledger, stop, rng
        last = args.duration - 10  # nothing in the last seconds: the end readings want calm
        plan = []
        plan += [(t, "sighup") for t in _every(args.hup_every, args.hup_every, last)]
        plan += [(t, "sigusr2") for t in _every(args.chain_first, args.chain_every, last)]
        plan += [(t, "kill") for t in _every(args.kill_every / 2, args.kill_every, last)]
        self.plan = sorted(plan)
        self.done: list[dict] = []

    def run(self) -> None:
        for at, what in self.plan:
            if self.stop.wait(max(0.0, at - self.ledger.now())):
                return
            rec = {"at": round(self.ledger.now(), 3), "event": what}
            if what == "kill":
                workers = observe.workers_of(self.master)
                if workers:
                    rec["pid"] = self.rng.choice(workers)
                    try:
                        os.kill(rec["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        rec["error"] = "gone already"
                        rec["pid"] = None
                else:
                    rec["error"] = "no worker to kill"
            else:
                os.kill(self.master, signal.SIGHUP if what == "sighup" else signal.SIGUSR2)
            self.done.append(rec)
            print(f"  +{rec['at']:7.1f} s  {what}{' pid %s' % rec['pid'] if rec.get('pid') else ''}",
                  flush=True)


def _every(first: float, period: float, last: float) -> list[float]:
    out, t = [], first
    while period > 0 and t <= last:
        out.append(t)
        t += period
    return out


def settle(master: int, processes: int, timeout: float = 60) -> bool:
    """Wait until the master has exactly its workers, the same ones for 3 s running
    (reloads and recycles done)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = observe.workers_of(master)
        if now != last:
            last, since = now, time.monotonic()
        elif len(now) == processes and time.monotonic() - since >= 3:
            return True
        time.sleep(0.2)
    return False


# -- the run ------------------------------------------------------------------------------

def main() -> int:
    args = parse_args()
    if not GANTRY.exists():
        print(f"soak: {GANTRY} is missing; run make build first", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    run_dir = (args.out or ROOT / "build" / "soak" / time.strftime("%Y%m%d-%H%M%S")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"soak: {args.duration:.0f} s; run folder {run_dir} (seed {seed})", flush=True)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    gantry = nginx = None
    try:
        print("soak: setting up the Django example's database", flush=True)
        setup_django(run_dir / "django-data")
        uwsgi_port, http_port, nginx_port = free_port(), free_port(), free_port()
        while len({uwsgi_port, http_port, nginx_port}) < 3:
            http_port, nginx_port = free_port(), free_port()
        uwsgi_address, http_address = f"127.0.0.1:{uwsgi_port}", f"127.0.0.1:{http_port}"
        cmd_args = gantry_args(args, uwsgi_port, http_port)
        gantry = start_gantry(cmd_args, run_dir, uwsgi_address)
        site = render_site(ROOT / "tools" / "soak" / "nginx-site.conf", nginx_port, uwsgi_address)
        nginx = NginxFront(run_dir / "nginx", site, prefix=ROOT).start()
        warm = check_apps(nginx_port)
        if warm != "ok":
            raise SoakError(f"the apps do not answer through nginx: {warm}")
        print(f"soak: gantry pid {gantry.pid} (uwsgi {uwsgi_address}, http {http_address}), "
              f"nginx pid {nginx.pid} on 127.0.0.1:{nginx_port}", flush=True)
        result = run(args, rng, run_dir, gantry, nginx, uwsgi_address, http_address, cmd_args)
        result["seed"] = seed
    except SoakError as e:
        print(f"soak: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if nginx is not None:
            nginx.stop()
        if gantry is not None and gantry.poll() is None:
            stop_gantry(gantry)
    return finish(result, run_dir)


def run(args, rng, run_dir, gantry, nginx, uwsgi_address, http_address, cmd_args) -> dict:
    master = gantry.pid
    stop = threading.Event()
    ledger = traffic.Ledger(time.monotonic())
    start_snap = observe.snapshot(master, nginx.pid, 0.0)
    threads: list[threading.Thread] = []
    for name, target, scenarios, count in traffic.NORMAL_CLIENTS:
        port = nginx.port if target == "nginx" else int(http_address.rpartition(":")[2])
        for i in range(count):
            threads.append(traffic.NormalClient(f"{name}{i}", ledger, stop, port, target,
                                                scenarios, args.think, rng.random()))
    for i in range(args.slow_clients):
        threads.append(hostile.SlowClient(f"slow-uwsgi{i}", ledger, stop, "uwsgi", uwsgi_address,
                                          args.slow_cap, args.slow_trickle, rng.random()))
        threads.append(hostile.SlowClient(f"slow-http{i}", ledger, stop, "http", http_address,
                                          args.slow_cap, args.slow_trickle, rng.random()))
    if args.malformed_every > 0:
        threads.append(hostile.Malformed(ledger, stop, uwsgi_address, http_address,
                                         args.malformed_every, rng.random()))
    events = Events(args, master, ledger, stop, rng)
    for t in threads:
        t.start()
    events.start()

    samples = [start_snap]
    died = None
    next_sample = next_print = 10.0
    while (now := ledger.now()) < args.duration:
        if gantry.poll() is not None:
            died = f"gantry's master exited with status {gantry.returncode} at +{now:.1f} s"
            break
        if nginx.poll() is not None:
            died = f"nginx exited with status {nginx.poll()} at +{now:.1f} s"
            break
        if now >= next_sample:
            samples.append(observe.snapshot(master, nginx.pid, now))
            next_sample += 10
        if now >= next_print:
            with ledger.lock:
                sent = sum(k.sent for k in ledger.kinds.values())
                failed = sum(k.failed for k in ledger.kinds.values())
            print(f"  +{now:7.1f} s  {sent} requests, {failed} failed, "
                  f"{len(ledger.slow)} slow, {len(ledger.malformed)} malformed", flush=True)
            next_print += 30
        time.sleep(0.2)
    stop.set()
    print("soak: load stopped; waiting for the clients and for gantry to settle", flush=True)
    for t in threads + [events]:
        t.join(traffic.CLIENT_TIMEOUT + 10)
    settled = died is None and settle(master, args.processes)
    time.sleep(2)  # descriptors of connections the clients just dropped
    end_snap = observe.snapshot(master, nginx.pid, ledger.now()) if died is None else samples[-1]
    final = check_apps(nginx.port) if died is None else "not run: " + died
    if died is None:
        time.sleep(2)
        # A zombie seen twice, seconds apart, is one the master will never reap.
        again = observe.snapshot(master, None, ledger.now())["zombies"]
        end_snap["zombies"] = [p for p in end_snap["zombies"] if p in again]
    nginx.stop()
    gantry_exit = stop_gantry(gantry)
    return {"ledger": ledger, "events": events.done, "samples": samples, "start": start_snap,
            "end": end_snap, "final_check": final, "gantry_exit": gantry_exit, "died": died,
            "settled": settled, "args": args, "cmd_args": cmd_args, "run_dir": run_dir,
            "nginx_dir": nginx.workdir}


def finish(res: dict, run_dir: Path) -> int:
    ledger: traffic.Ledger = res["ledger"]
    args = res["args"]
    kills = [e for e in res["events"] if e["event"] == "kill" and e.get("pid")]
    failures = traffic.failures_as_dicts(ledger.failures)
    app_pids = report.request_pids(run_dir / "app-requests.log",
                                   {f["rid"] for f in failures} | {r["rid"] for r in ledger.retries})
    report.classify(failures, kills, app_pids, args.kill_window)
    # A retried request is fine when the server had closed the connection before it got
    # there; not when the app had already run it (its answer was lost).
    killed_pids = {k["pid"] for k in kills}
    for r in ledger.retries:
        r["app_pid"] = app_pids.get(r["rid"])
    lost = [r for r in ledger.retries if r["app_pid"] is not None
            and r["app_pid"] not in killed_pids]
    unexpected = [f for f in failures if f["verdict"] == "unexpected"]
    log = observe.parse_gantry_log(run_dir / "gantry.log", {k["pid"] for k in kills})
    lat = report.latency_summary(ledger.kinds)
    slow_out = Counter(s["outcome"] for s in ledger.slow)
    cut = sorted(s["seconds"] for s in ledger.slow if s["outcome"] == "cut-off")
    by_mode: dict[str, dict[str, list]] = {}
    for s in sorted(ledger.slow, key=lambda s: s["seconds"]):
        mode = by_mode.setdefault(f"{s['proto']} {s['part']} {s['style']}", {})
        mode.setdefault(s["outcome"], []).append(s["seconds"])
    bad = Counter(m["outcome"] for m in ledger.malformed)
    start, end = res["start"], res["end"]
    master_kinds_start, master_kinds_end = start["master"]["fd_kinds"], end["master"]["fd_kinds"]
    uploads = ledger.kinds.get("upload", traffic.KindStats())
    r = {
        "pass": False,
        "duration_s": args.duration,
        "run_dir": str(run_dir),
        "json_path": str(run_dir / "report.json"),
        "gantry_args": res["cmd_args"],
        "requests": {
            "sent": sum(k.sent for k in ledger.kinds.values()),
            "succeeded": sum(k.ok for k in ledger.kinds.values()),
            "failed": len(failures),
            "failed_in_killed_worker": len(failures) - len(unexpected),
            "failed_unexpected": len(unexpected),
            "retries": len(ledger.retries),
            "retries_answer_lost": len(lost),
            "uploads_verified": uploads.ok,
            "upload_mib": round(uploads.upload_bytes / 2**20, 1),
        },
        "latency": lat,
        "unexpected_failures": unexpected,
        "retries": ledger.retries,
        "slow_clients": {
            "total": len(ledger.slow), "cut_off": slow_out["cut-off"],
            "outlasted": slow_out["outlasted"], "soak_ended": slow_out["soak-ended"],
            "connect_failed": slow_out["connect-failed"],
            "cut_off_seconds": (f"{cut[0]}-{cut[-1]} s, median {cut[len(cut) // 2]} s"
                                if cut else "-"),
            # mode -> outcome -> [count, fewest seconds, most seconds]
            "by_mode": {mode: {o: [len(t), t[0], t[-1]] for o, t in sorted(outcomes.items())}
                        for mode, outcomes in sorted(by_mode.items())},
        },
        "slow_cap_s": args.slow_cap,
        "malformed": {
            "total": len(ledger.malformed), "refused": bad["refused"], "closed": bad["closed"],
            "no_verdict": bad["no-verdict"], "accepted": bad["accepted"],
            "accepted_cases": sorted({f"{m['proto']} {m['case']}" for m in ledger.malformed
                                      if m["outcome"] == "accepted"}),
            "no_verdict_cases": sorted({f"{m['proto']} {m['case']}" for m in ledger.malformed
                                        if m["outcome"] == "no-verdict"}),
            "by_case": {k: dict(v) for k, v in sorted(_by_case(ledger.malformed).items())},
        },
        "events": {
            "sighup": sum(e["event"] == "sighup" for e in res["events"]),
            "sigusr2": sum(e["event"] == "sigusr2" for e in res["events"]),
            "kills": len(kills),
            "log": res["events"],
        },
        "gantry_log": log,
        "nginx_log": observe.parse_nginx_logs(res["nginx_dir"]),
        "descriptors": {
            "master_start": start["master"]["fds"], "master_end": end["master"]["fds"],
            "master_kinds_start": master_kinds_start, "master_kinds_end": master_kinds_end,
            "worker_avg_start": report.worker_fd_average(start),
            "worker_avg_end": report.worker_fd_average(end),
        },
        "snapshots": {"start": start, "end": end, "every_10s": res["samples"]},
        "gantry_exit": res["gantry_exit"],
        "final_check": res["final_check"],
        "settled": res["settled"],
    }
    problems = []
    if res["died"]:
        problems.append(res["died"])
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected failure(s)")
    if end["master"]["fds"] > start["master"]["fds"]:
        problems.append(f"the master's descriptors grew: {start['master']['fds']} -> "
                        f"{end['master']['fds']}")
    if bad["accepted"]:
        problems.append(f"{bad['accepted']} malformed request(s) got a success answer")
    if log["unexplained_worker_exits"]:
        problems.append(f"{len(log['unexplained_worker_exits'])} worker(s) died without a kill -9")
    if lost:
        problems.append(f"{len(lost)} request(s) ran in the app but their answer never came "
                        f"(the keep-alive retry hid it)")
    if end.get("zombies"):
        problems.append(f"the master left {len(end['zombies'])} dead worker(s) unreaped "
                        f"(zombies {end['zombies']})")
    if log["reload_failures"]:
        problems.append(f"{log['reload_failures']} reload failure(s) in gantry's log")
    if res["final_check"] != "ok":
        problems.append(f"final check: {res['final_check']}")
    if res["gantry_exit"] != 0:
        problems.append(f"gantry exited with {res['gantry_exit']} after SIGTERM")
    if not res["settled"] and not res["died"]:
        problems.append(f"gantry did not settle to {args.processes} workers after the load")
    r["problems"] = problems
    r["pass"] = not problems
    with open(run_dir / "failures.jsonl", "w") as f:
        for fail in failures:
            f.write(json.dumps(fail) + "\n")
    with open(run_dir / "slow-and-malformed.jsonl", "w") as f:
        for rec in ledger.slow:
            f.write(json.dumps({"type": "slow", **rec}) + "\n")
        for rec in ledger.malformed:
            f.write(json.dumps({"type": "malformed", **rec}) + "\n")
    (run_dir / "report.json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    text = report.render(r)
    (run_dir / "report.txt").write_text(text + "\n")
    print()
    print(text, flush=True)
    return 0 if r["pass"] else 1


def _by_case(records: list[dict]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for m in records:
        out.setdefault(f"{m['proto']} {m['case']}", Counter())[m["outcome"]] += 1
    return out


if __name__ == "__main__":
    sys.exit(main())
