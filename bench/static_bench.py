"""Static files: gantry's --static-map on its own HTTP socket against nginx serving the same
folder on the same machine, and against WhiteNoise (Debian's python3-whitenoise) serving it
for the Django bench site behind gantry's HTTP socket, both as Django middleware and as a
WSGI wrapper — `make bench-static`, or

    /usr/bin/python3 bench/static_bench.py [--duration 4] [--repeats 3]

A 10 KiB and a 1 MiB file, 32 keep-alive connections (wrk, one thread), one worker process
each (nginx: worker_processes 1; gantry: --processes 1), interleaved and repeated; medians
and the ratios go to bench/results/static-<time>.json. See bench/README.md.

On a machine with two cores or more the server runs on core 0 and wrk on core 1 (--no-pin:
wherever the scheduler puts them): unpinned, where the scheduler happens to put the two
decides a 1 MiB run's req/s by 2x from one run to the next. Besides req/s each run records
the server's CPU, wrk's and the whole machine's (softirq included: loopback traffic is
processed there) per request, so a ratio the client bounds says so: the summary compares
each target with what nginx itself reaches against the same peer in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import procstat  # noqa: E402
from fronts import ROOT, NginxFront, free_port  # noqa: E402
from servers import gantry_binary  # noqa: E402

BENCH = Path(__file__).resolve().parent
APPS = BENCH / "apps"
WRK_SCRIPT = BENCH / "wrk.lua"
FILES = {"10k": 10 * 1024, "1m": 1024 * 1024}
# whitenoise: WhiteNoiseMiddleware in Django (its documented way); whitenoise-wsgi: the
# WhiteNoise() WSGI wrapper around the same Django app, which answers before Django.
SERVERS = ("gantry", "nginx", "whitenoise", "whitenoise-wsgi")
CONNECTIONS = 32

NGINX_SITE = """\
server {{
    listen 127.0.0.1:{port};
    access_log off;
    sendfile on;
    tcp_nopush on;
    location /static/ {{
        alias {root}/;
    }}
}}
"""


def wait_answers(url: str, proc: subprocess.Popen | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200")


def machine_seconds() -> float:
    """CPU time of all cores in processes and in interrupts (loopback's softirq work)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wrk(port: int, path: str, duration: int, cpu: str | None) -> dict:
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s",
            str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    before = children_seconds()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    client_s = children_seconds() - before  # wrk's own CPU (reaped by run())
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            r["client_us_per_req"] = client_s / r["requests"] * 1e6
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            if errors:
                raise RuntimeError(f"wrk saw {errors} errors against {path}: {r}")
            return r
    raise RuntimeError(f"wrk gave no summary: {done.stdout}{done.stderr}")


class Server:
    """One of the three, started fresh for each measurement."""

    def __init__(self, kind: str, root: Path, workdir: Path, cpu: str | None):
        self.kind, self.root, self.workdir, self.cpu = kind, root, workdir, cpu
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.nginx: NginxFront | None = None

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        if self.kind == "nginx":
            site = NGINX_SITE.format(port=self.port, root=self.root)
            self.nginx = NginxFront(self.workdir / "nginx", site, prefix=ROOT).start()
            if self.cpu is not None:
                for pid in procstat.tree(self.nginx.pid):
                    os.sched_setaffinity(pid, {int(self.cpu)})
        else:
            common = [str(gantry_binary()), "--http-socket", f"127.0.0.1:{self.port}",
                      "--processes", "1", "--disable-logging", "--chdir", str(APPS)]
            if self.kind == "gantry":
                argv = common + ["--module", "hello:application",
                                 "--static-map", f"/static={self.root}"]
            else:  # WhiteNoise: Django's middleware, or the WSGI wrapper around Django
                env["BENCH_STATIC_ROOT"] = str(self.root)
                module = ("whitenoise_middleware_site" if self.kind == "whitenoise"
                          else "whitenoise_site")
                argv = common + ["--module", f"{module}:application"]
            if self.cpu is not None:
                argv = ["taskset", "-c", self.cpu] + argv
            log = open(self.workdir / f"{self.kind}.log", "ab")
            self.proc = subprocess.Popen(argv, cwd=APPS, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        wait_answers(f"http://127.0.0.1:{self.port}/static/10k.bin", self.proc)
        return self

    @property
    def pid(self) -> int:
        return self.nginx.pid if self.nginx is not None else self.proc.pid

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def cpus(pin: bool) -> tuple[str | None, str | None]:
    """(server core, client core), or no pinning."""
    if not pin or len(os.sched_getaffinity(0)) < 2:
        return None, None
    first, second = sorted(os.sched_getaffinity(0))[:2]
    return str(first), str(second)


def measure(server: Server, name: str, duration: int, client_cpu: str | None) -> dict:
    path = f"/static/{name}.bin"
    wrk(server.port, path, 1, client_cpu)  # warm-up
    before, machine_before = procstat.cpu_seconds(server.pid), machine_seconds()
    result = wrk(server.port, path, duration, client_cpu)
    cpu = procstat.cpu_seconds(server.pid) - before
    machine = machine_seconds() - machine_before
    result["cpu_us_per_req"] = cpu / result["requests"] * 1e6
    result["machine_us_per_req"] = machine / result["requests"] * 1e6
    return result


def summarize(runs: list[dict]) -> dict:
    """Medians, the targets' ratios, and for each WhiteNoise peer what nginx itself reaches
    against it: a target nginx misses in the same run is bounded by the machine."""
    summary: dict = {}
    for name in FILES:
        def med(key):
            return {k: statistics.median(x[key] for x in runs
                                         if x["server"] == k and x["file"] == name)
                    for k in SERVERS}
        rps = med("rps")
        row = {"rps": rps, "cpu_us_per_req": med("cpu_us_per_req"),
               "client_us_per_req": med("client_us_per_req"),
               "machine_us_per_req": med("machine_us_per_req"),
               "gantry/nginx": rps["gantry"] / rps["nginx"], "targets": {}}
        row["targets"]["gantry >= 0.8x nginx"] = {"ratio": row["gantry/nginx"],
                                                  "holds": row["gantry/nginx"] >= 0.8}
        for peer in ("whitenoise", "whitenoise-wsgi"):
            ratio, bound = rps["gantry"] / rps[peer], rps["nginx"] / rps[peer]
            row["targets"][f"gantry >= 5x {peer}"] = {
                "ratio": ratio, "holds": ratio >= 5, "nginx_ratio": bound,
                "reachable_here": bound >= 5}
        summary[name] = row
        print(f"{name}: " + ", ".join(
            f"{k} {rps[k]:.0f} req/s (server {row['cpu_us_per_req'][k]:.1f}, client "
            f"{row['client_us_per_req'][k]:.1f}, machine {row['machine_us_per_req'][k]:.1f} "
            "µs/req)" for k in SERVERS))
        for target, t in row["targets"].items():
            verdict = "holds" if t["holds"] else "missed"
            if not t["holds"] and "nginx_ratio" in t and not t["reachable_here"]:
                verdict += f" (nginx itself reaches {t['nginx_ratio']:.2f}x: bounded here)"
            print(f"  {target}: {t['ratio']:.2f} {verdict}")
    return summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=4, help="seconds per run (4)")
    p.add_argument("--repeats", type=int, default=3, help="repeats (3)")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="let the scheduler place server and client")
    args = p.parse_args()
    server_cpu, client_cpu = cpus(args.pin)
    runs = []
    with tempfile.TemporaryDirectory(prefix="gantry-static-") as tmp:
        root = Path(tmp) / "static"
        root.mkdir()
        for name, size in FILES.items():
            (root / f"{name}.bin").write_bytes(os.urandom(size))
        kinds = list(SERVERS)
        for r in range(args.repeats):
            for kind in kinds[r % len(kinds):] + kinds[:r % len(kinds)]:
                workdir = Path(tmp) / f"r{r}-{kind}"
                workdir.mkdir()
                server = Server(kind, root, workdir, server_cpu).start()
                try:
                    for name in FILES:
                        result = measure(server, name, args.duration, client_cpu)
                        runs.append({"server": kind, "file": name, "repeat": r} | result)
                        print(f"[{r + 1}/{args.repeats}] {kind:15} {name:3}: "
                              f"{result['rps']:9.0f} req/s, µs/req: server "
                              f"{result['cpu_us_per_req']:6.1f}, client "
                              f"{result['client_us_per_req']:6.1f}, machine "
                              f"{result['machine_us_per_req']:6.1f}; p99 "
                              f"{result['p99_us'] / 1000:.2f} ms", flush=True)
                finally:
                    server.stop()
    summary = summarize(runs)
    out = BENCH / "results" / time.strftime("static-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"pinned": [server_cpu, client_cpu], "summary": summary,
                               "runs": runs}, indent=1))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
