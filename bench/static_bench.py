"""Static files: gantry's --static-map on its own HTTP socket against nginx serving the same
folder on the same machine, and against WhiteNoise (Debian's python3-whitenoise) serving it
for the Django bench site behind gantry's HTTP socket, both as Django middleware and as a
WSGI wrapper — `make bench-static`, or

    /usr/bin/python3 bench/static_bench.py [--duration 4] [--repeats 3]

A 10 KiB and a 1 MiB file, 32 keep-alive connections (wrk, one thread), one worker process
each (nginx: worker_processes 1; gantry: --processes 1), interleaved and repeated; medians
and the ratios go to bench/results/static-<time>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
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


def wrk(port: int, path: str, duration: int) -> dict:
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s",
            str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            if errors:
                raise RuntimeError(f"wrk saw {errors} errors against {path}: {r}")
            return r
    raise RuntimeError(f"wrk gave no summary: {done.stdout}{done.stderr}")


class Server:
    """One of the three, started fresh for each measurement."""

    def __init__(self, kind: str, root: Path, workdir: Path):
        self.kind, self.root, self.workdir = kind, root, workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.nginx: NginxFront | None = None

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        if self.kind == "nginx":
            site = NGINX_SITE.format(port=self.port, root=self.root)
            self.nginx = NginxFront(self.workdir / "nginx", site, prefix=ROOT).start()
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=4, help="seconds per run (4)")
    p.add_argument("--repeats", type=int, default=3, help="repeats (3)")
    args = p.parse_args()
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
                server = Server(kind, root, workdir).start()
                try:
                    for name in FILES:
                        wrk(server.port, f"/static/{name}.bin", 1)  # warm-up
                        before = procstat.cpu_seconds(server.pid)
                        result = wrk(server.port, f"/static/{name}.bin", args.duration)
                        cpu = procstat.cpu_seconds(server.pid) - before
                        result["cpu_us_per_req"] = cpu / result["requests"] * 1e6
                        runs.append({"server": kind, "file": name, "repeat": r} | result)
                        print(f"[{r + 1}/{args.repeats}] {kind:10} {name:3}: "
                              f"{result['rps']:9.0f} req/s, {result['cpu_us_per_req']:6.1f} µs "
                              f"server CPU/req, p99 {result['p99_us'] / 1000:.2f} ms", flush=True)
                finally:
                    server.stop()
    summary: dict = {}
    servers = SERVERS
    for name in FILES:
        def med(key):
            return {k: statistics.median(x[key] for x in runs
                                         if x["server"] == k and x["file"] == name)
                    for k in servers}
        rps, cpu = med("rps"), med("cpu_us_per_req")
        summary[name] = {"rps": rps, "cpu_us_per_req": cpu}
        for other in servers[1:]:
            summary[name][f"rps gantry/{other}"] = rps["gantry"] / rps[other]
            summary[name][f"cpu {other}/gantry"] = cpu[other] / cpu["gantry"]
        print(f"{name}: " + ", ".join(
            f"{k} {rps[k]:.0f} req/s {cpu[k]:.1f} µs/req" for k in servers) + "; gantry ÷ "
            + ", ".join(f"{k} {rps['gantry'] / rps[k]:.2f}" for k in servers[1:]))
    out = BENCH / "results" / time.strftime("static-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
