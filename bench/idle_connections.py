"""Ten thousand connections: what an idle keep-alive connection costs gantry's HTTP socket,
and whether holding 10,000 of them slows anyone else down — `make bench-idle`, or

    /usr/bin/python3 bench/idle_connections.py [--connections 10000] [--pairs 5]

Each run starts gantry afresh (--http-socket, 2 workers, hello). A run "with idle" opens N
keep-alive connections that each send one GET, read its answer and then stay open, doing
nothing; the workers' RSS and PSS before and after, divided by N, are what one costs in
gantry's user space (the kernel's socket memory, both ends of each loopback connection, is
shown beside it from /proc/net/sockstat and the slab total). With the idle ones held, 50
fresh connections are timed, one after the other, from connect() to the whole response,
and wrk (-t1 -c32) measures the busy clients. A run "without" does the same with no idle
connections. The two alternate (A/B/B/A...), --pairs times; medians go to
bench/results/idle-<time>.json. See bench/README.md.

    /usr/bin/python3 bench/idle_connections.py --ab OLD_GANTRY [--pairs 5]

compares two binaries on the hot path instead (no idle connections): req/s and the server's
CPU per request of wrk -t1 -c32 on hello, interleaved.

The descriptor limits are raised as needed: this script's own RLIMIT_NOFILE (up to the hard
limit, or past it as root), and gantry's with --max-fd; --max-connections (per worker) is
raised above N, since the busy clients may all land on the worker holding most idle ones.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import resource
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import procstat  # noqa: E402
from fronts import free_port  # noqa: E402
from servers import gantry_binary  # noqa: E402

BENCH = Path(__file__).resolve().parent
APPS = BENCH / "apps"
WRK_SCRIPT = BENCH / "wrk.lua"
BUSY = 32
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
IN_FLIGHT = 256  # connections being opened at once: the listen queue never overflows
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- the client side --------------------------------------------------------------------

def response_complete(buf: bytearray) -> bool:
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in bytes(buf[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if not buf.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {bytes(buf[:80])!r}")
    return len(buf) >= head_end + 4 + length


def exchange(sel: selectors.BaseSelector, socks: list[socket.socket], timeout: float) -> None:
    """Sends REQUEST on each connected socket and reads each answer, all at once."""
    for s in socks:
        s.send(REQUEST)
        sel.register(s, selectors.EVENT_READ, bytearray())
    left, deadline = len(socks), time.monotonic() + timeout
    while left:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} answers missing after {timeout} s")
        for key, _ in sel.select(timeout=1):
            chunk = key.fileobj.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed a keep-alive connection")
            key.data.extend(chunk)
            if response_complete(key.data):
                sel.unregister(key.fileobj)
                left -= 1


def open_idle(port: int, n: int, timeout: float = 300) -> list[socket.socket]:
    """N connections that each had one request answered and now sit idle."""
    sel = selectors.DefaultSelector()
    done: list[socket.socket] = []
    started = pending = 0
    deadline = time.monotonic() + timeout
    try:
        while len(done) < n:
            while started < n and pending < IN_FLIGHT:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                err = s.connect_ex(("127.0.0.1", port))
                if err not in (0, errno.EINPROGRESS):
                    raise OSError(err, os.strerror(err))
                sel.register(s, selectors.EVENT_WRITE, None)
                started += 1
                pending += 1
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(done)} of {n} idle connections in {timeout} s")
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                if key.data is None:  # connected
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    s.send(REQUEST)
                    sel.modify(s, selectors.EVENT_READ, bytearray())
                    continue
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed a connection before answering")
                key.data.extend(chunk)
                if response_complete(key.data):
                    sel.unregister(s)
                    done.append(s)
                    pending -= 1
    except BaseException:
        for s in done:
            s.close()
        raise
    finally:
        sel.close()
    return done


def fresh_connection_ms(port: int, count: int) -> list[float]:
    """Connect-to-whole-answer time of `count` new connections, one after the other."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(REQUEST)
            buf = bytearray()
            while not response_complete(buf):
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("a fresh connection was closed unanswered")
                buf.extend(chunk)
        times.append((time.perf_counter() - start) * 1000)
    return times


def raise_own_fd_limit(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(need, soft), max(need, hard)))
    except (ValueError, OSError):
        if hard < need:
            raise SystemExit(f"need {need} open files, the hard limit is {hard}: raise it "
                             "(ulimit -Hn as root) or pass a smaller --connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- the server side --------------------------------------------------------------------

class Gantry:
    def __init__(self, binary: Path, workers: int, connections: int, workdir: Path):
        self.port = free_port()
        # Every connection may land on one worker (EPOLLEXCLUSIVE wakes whichever is idle).
        self.argv = [str(binary), "--http-socket", f"127.0.0.1:{self.port}",
                     "--processes", str(workers), "--module", "hello:application",
                     "--chdir", str(APPS), "--disable-logging",
                     "--http-keepalive-timeout", "600", "--listen", "4096",
                     "--max-connections", str(connections + 2 * BUSY + 200),
                     "--max-fd", str(connections + 2 * BUSY + 1024)]
        self.log = workdir / f"gantry-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gantry:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=APPS, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gantry exited with {self.proc.returncode}: "
                                   f"{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gantry never answered")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def workers(self) -> list[int]:
        return procstat.tree(self.pid)[1:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def worker_memory(pids: list[int]) -> dict:
    """RSS and PSS (KiB) summed over the workers, from smaps_rollup."""
    total = {"rss": 0, "pss": 0}
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                total[key.lower()] += int(rest.split()[0])
    return total


def sockets_held(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def kernel_memory() -> dict:
    """Socket buffer pages (/proc/net/sockstat) and the slab total (/proc/meminfo), bytes."""
    mem = 0
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            fields = line.split()[1:]
            mem = int(dict(zip(fields[::2], fields[1::2]))["mem"]) * PAGE
    slab = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Slab:"):
            slab = int(line.split()[1]) * 1024
    return {"tcp_mem": mem, "slab": slab}


def children_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wrk(port: int, duration: int) -> dict:
    argv = ["wrk", "-t1", f"-c{BUSY}", f"-d{duration}s", "--latency", "-s", str(WRK_SCRIPT),
            f"http://127.0.0.1:{port}/"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            r = json.loads(line[len("BENCH_JSON "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            if errors:
                raise RuntimeError(f"wrk saw {errors} errors: {r}")
            return r
    raise RuntimeError(f"wrk gave no summary: {done.stdout}{done.stderr}")


def busy_run(server: Gantry, duration: int) -> dict:
    before = procstat.cpu_seconds(server.pid)
    r = wrk(server.port, duration)
    r["cpu_us_per_req"] = (procstat.cpu_seconds(server.pid) - before) / r["requests"] * 1e6
    return r


# --- the runs ---------------------------------------------------------------------------

def one_run(binary: Path, args, idle: bool, workdir: Path) -> dict:
    server = Gantry(binary, args.workers, args.connections, workdir).start()
    held: list[socket.socket] = []
    try:
        wrk(server.port, 1)  # warm-up: both workers have served, their heaps are grown
        result: dict = {"idle": idle}
        if idle:
            workers = server.workers()
            mem0, kern0 = worker_memory(workers), kernel_memory()
            start = time.monotonic()
            held = open_idle(server.port, args.connections)
            result["open_s"] = time.monotonic() - start
            time.sleep(0.5)  # the last ones parked
            mem1, kern1 = worker_memory(workers), kernel_memory()
            n = len(held)
            result["per_worker_sockets"] = [sockets_held(pid) for pid in workers]
            result["rss_per_conn"] = (mem1["rss"] - mem0["rss"]) * 1024 / n
            result["pss_per_conn"] = (mem1["pss"] - mem0["pss"]) * 1024 / n
            result["kernel_tcp_mem_per_conn"] = (kern1["tcp_mem"] - kern0["tcp_mem"]) / n
            result["kernel_slab_per_conn"] = (kern1["slab"] - kern0["slab"]) / n
            result["worker_rss_kib"] = [mem0["rss"], mem1["rss"]]
        fresh = fresh_connection_ms(server.port, args.fresh)
        result["fresh_median_ms"] = statistics.median(fresh)
        result["fresh_max_ms"] = max(fresh)
        result |= busy_run(server, args.duration)
        if idle:
            # Still served after all this: a sample of them asks again.
            sel = selectors.DefaultSelector()
            exchange(sel, held[:: max(1, len(held) // 200)], 60)
            sel.close()
            result["idle_still_served"] = True
        return result
    finally:
        for s in held:
            s.close()
        server.stop()


def describe(r: dict) -> str:
    text = (f"{r['rps']:8.0f} req/s, p99 {r['p99_us'] / 1000:6.2f} ms, "
            f"{r['cpu_us_per_req']:5.1f} µs CPU/req; new connection median "
            f"{r['fresh_median_ms']:.2f} ms, max {r['fresh_max_ms']:.2f} ms")
    if r["idle"]:
        text += (f"; per idle connection: RSS {r['rss_per_conn']:.0f} B, PSS "
                 f"{r['pss_per_conn']:.0f} B (kernel: tcp buffers "
                 f"{r['kernel_tcp_mem_per_conn']:.0f} B, slab {r['kernel_slab_per_conn']:.0f} B, "
                 f"both ends); sockets per worker {r['per_worker_sockets']}; opened in "
                 f"{r['open_s']:.1f} s")
    return text


def idle_bench(args, binary: Path, workdir: Path) -> dict:
    runs = []
    for pair in range(args.pairs):
        for idle in ((False, True) if pair % 2 == 0 else (True, False)):
            r = one_run(binary, args, idle, workdir)
            runs.append(r)
            print(f"[{pair + 1}/{args.pairs}] {'with' if idle else 'without'} "
                  f"{args.connections if idle else 0:5} idle: {describe(r)}", flush=True)

    def med(key, idle):
        return statistics.median(r[key] for r in runs if r["idle"] == idle)

    summary = {
        "connections": args.connections, "workers": args.workers,
        "rss_per_idle_conn": med("rss_per_conn", True),
        "pss_per_idle_conn": med("pss_per_conn", True),
        "kernel_tcp_mem_per_conn": med("kernel_tcp_mem_per_conn", True),
        "kernel_slab_per_conn": med("kernel_slab_per_conn", True),
        "fresh_median_ms": {"with": med("fresh_median_ms", True),
                            "without": med("fresh_median_ms", False)},
        "fresh_max_ms": {"with": max(r["fresh_max_ms"] for r in runs if r["idle"]),
                         "without": max(r["fresh_max_ms"] for r in runs if not r["idle"])},
        "rps": {"with": med("rps", True), "without": med("rps", False)},
        "p99_ms": {"with": med("p99_us", True) / 1000, "without": med("p99_us", False) / 1000},
        "cpu_us_per_req": {"with": med("cpu_us_per_req", True),
                           "without": med("cpu_us_per_req", False)},
    }
    rps_ratio = summary["rps"]["with"] / summary["rps"]["without"]
    p99_ratio = summary["p99_ms"]["with"] / summary["p99_ms"]["without"]
    summary["targets"] = {
        "memory per idle connection <= 4 KiB (RSS)": summary["rss_per_idle_conn"] <= 4096,
        "new connection answered within 100 ms (max)": summary["fresh_max_ms"]["with"] <= 100,
        "busy req/s within 10%": rps_ratio >= 0.9,
        "busy p99 within 10%": p99_ratio <= 1.1,
    }
    print(f"\n{args.connections} idle connections on {args.workers} workers (medians of "
          f"{args.pairs}):")
    print(f"  per idle connection: RSS {summary['rss_per_idle_conn']:.0f} B, PSS "
          f"{summary['pss_per_idle_conn']:.0f} B; kernel (both ends, machine-wide): tcp buffers "
          f"{summary['kernel_tcp_mem_per_conn']:.0f} B, slab {summary['kernel_slab_per_conn']:.0f} B")
    print(f"  new connection: median {summary['fresh_median_ms']['with']:.2f} ms with, "
          f"{summary['fresh_median_ms']['without']:.2f} ms without; max "
          f"{summary['fresh_max_ms']['with']:.2f} / {summary['fresh_max_ms']['without']:.2f} ms")
    print(f"  busy (wrk -c{BUSY}): {summary['rps']['with']:.0f} req/s with, "
          f"{summary['rps']['without']:.0f} without ({rps_ratio:.3f}x); p99 "
          f"{summary['p99_ms']['with']:.2f} / {summary['p99_ms']['without']:.2f} ms "
          f"({p99_ratio:.3f}x); CPU {summary['cpu_us_per_req']['with']:.1f} / "
          f"{summary['cpu_us_per_req']['without']:.1f} µs/req")
    for target, holds in summary["targets"].items():
        print(f"  {target}: {'holds' if holds else 'missed'}")
    return {"summary": summary, "runs": runs}


def ab_bench(args, new: Path, old: Path, workdir: Path) -> dict:
    runs = []
    for pair in range(args.pairs):
        order = (("old", old), ("new", new)) if pair % 2 == 0 else (("new", new), ("old", old))
        for name, binary in order:
            server = Gantry(binary, args.workers, 0, workdir).start()
            try:
                wrk(server.port, 1)
                r = {"binary": name} | busy_run(server, args.duration)
            finally:
                server.stop()
            runs.append(r)
            print(f"[{pair + 1}/{args.pairs}] {name}: {r['rps']:8.0f} req/s, p99 "
                  f"{r['p99_us'] / 1000:.2f} ms, {r['cpu_us_per_req']:.1f} µs CPU/req", flush=True)
    summary = {}
    for name in ("old", "new"):
        mine = [r for r in runs if r["binary"] == name]
        summary[name] = {k: statistics.median(r[k] for r in mine)
                         for k in ("rps", "cpu_us_per_req", "p99_us")}
    print(f"\nmedians of {args.pairs} pairs: " + "; ".join(
        f"{k} {v['rps']:.0f} req/s, {v['cpu_us_per_req']:.1f} µs CPU/req, p99 "
        f"{v['p99_us'] / 1000:.2f} ms" for k, v in summary.items()))
    print(f"new/old: req/s {summary['new']['rps'] / summary['old']['rps']:.3f}x, CPU/req "
          f"{summary['new']['cpu_us_per_req'] / summary['old']['cpu_us_per_req']:.3f}x")
    return {"summary": summary, "runs": runs, "old": str(old), "new": str(new)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=10000, help="idle connections (10000)")
    p.add_argument("--workers", type=int, default=2, help="gantry --processes (2)")
    p.add_argument("--duration", type=int, default=4, help="seconds per wrk run (4)")
    p.add_argument("--pairs", type=int, default=5, help="with/without pairs (5)")
    p.add_argument("--fresh", type=int, default=50, help="new connections timed (50)")
    p.add_argument("--binary", type=Path, help="gantry to measure (build/gantry)")
    p.add_argument("--ab", type=Path, metavar="OLD_GANTRY",
                   help="compare the hot path of --binary against this one instead")
    args = p.parse_args()
    binary = args.binary or gantry_binary()
    if procstat.builds_running():
        print(f"note: a build is running ({', '.join(procstat.builds_running())}): "
              "CPU figures are disturbed (memory figures are not)", flush=True)
    limit = raise_own_fd_limit(args.connections + args.fresh + 4 * BUSY + 256)
    print(f"this script's open-file limit: {limit}; gantry's: --max-fd "
          f"{args.connections + 2 * BUSY + 1024}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gantry-idle-") as tmp:
        if args.ab:
            out = {"mode": "ab"} | ab_bench(args, binary, args.ab, Path(tmp))
        else:
            out = {"mode": "idle"} | idle_bench(args, binary, Path(tmp))
    path = BENCH / "results" / time.strftime("idle-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(out, indent=1))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
