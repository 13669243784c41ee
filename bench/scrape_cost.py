"""What watching gantry costs: hello behind nginx (uwsgi_pass over TCP), 32 connections,
gantry with --metrics and --stats and nobody looking, against the same with a scraper
fetching /metrics and the stats JSON every 100 ms (ten times what a Prometheus scraping
every second does) — `make bench-scrape`, or

    /usr/bin/python3 bench/scrape_cost.py [--duration 4] [--repeats 5]

The two are interleaved and repeated; medians of req/s and of server CPU µs per request
(master and workers) go to bench/results/scrape-<time>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402
from catalog import APPS  # noqa: E402
from fronts import free_port  # noqa: E402
from servers import Instance  # noqa: E402

BENCH = Path(__file__).resolve().parent
SCRAPE_EVERY = 0.1


class Scraper:
    """Fetches /metrics and the stats document every SCRAPE_EVERY seconds until stopped."""

    def __init__(self, metrics_port: int, stats_port: int):
        self.metrics = f"http://127.0.0.1:{metrics_port}/metrics"
        self.stats_port = stats_port
        self.scrapes = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _once(self) -> None:
        with urllib.request.urlopen(self.metrics, timeout=5) as r:
            r.read()
        with socket.create_connection(("127.0.0.1", self.stats_port), timeout=5) as s:
            while s.recv(65536):
                pass

    def _run(self) -> None:
        while not self._stop.wait(SCRAPE_EVERY):
            try:
                self._once()
                self.scrapes += 1
            except OSError:
                self.failures += 1

    def __enter__(self) -> Scraper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def one_run(workdir: Path, scraped: bool, duration: int) -> dict:
    metrics_port, stats_port = free_port(), free_port()
    inst = Instance("gantry", APPS["hello"], "nginx-tcp", workdir,
                    extra=["--metrics", f"127.0.0.1:{metrics_port}",
                           "--stats", f"127.0.0.1:{stats_port}"])
    try:
        problem = measure.start_checked(inst)
        if problem is not None:
            raise RuntimeError(problem)
        measure.load.wrk(inst.port, inst.app, 32, 1)   # warm-up
        if scraped:
            with Scraper(metrics_port, stats_port) as s:
                row = measure.load_run(inst, 32, duration, probe=False)
            row |= {"scrapes": s.scrapes, "scrape_failures": s.failures}
        else:
            row = measure.load_run(inst, 32, duration, probe=False)
        return row | {"scraped": scraped}
    finally:
        inst.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=4, help="seconds per measured run (4)")
    p.add_argument("--repeats", type=int, default=5, help="pairs of runs (5)")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="gantry-scrape-") as tmp:
        for r in range(args.repeats):
            for scraped in ((False, True) if r % 2 == 0 else (True, False)):
                row = one_run(Path(tmp) / f"r{r}-{int(scraped)}", scraped, args.duration)
                if row.get("check_failed"):
                    print(f"run failed: {row['check_failed']}", file=sys.stderr)
                    return 1
                rows.append(row)
                print(f"[{r + 1}/{args.repeats}] scraped={scraped}: {row['rps']:.0f} req/s, "
                      f"{row['cpu_us_per_req']:.1f} µs/req server CPU"
                      + (f", {row['scrapes']} scrapes" if scraped else ""), flush=True)
    summary = {}
    for scraped in (False, True):
        mine = [r for r in rows if r["scraped"] == scraped]
        summary["scraped" if scraped else "quiet"] = {
            "rps": statistics.median(r["rps"] for r in mine),
            "cpu_us_per_req": statistics.median(r["cpu_us_per_req"] for r in mine),
            "nginx_cpu_s": statistics.median(r["nginx_cpu_s"] for r in mine),
        }
    q, s = summary["quiet"], summary["scraped"]
    summary["ratio"] = {k: s[k] / q[k] for k in ("rps", "cpu_us_per_req")}
    scrapes = sum(r.get("scrapes", 0) for r in rows)
    failures = sum(r.get("scrape_failures", 0) for r in rows)
    print(f"median quiet:   {q['rps']:.0f} req/s, {q['cpu_us_per_req']:.2f} µs/req")
    print(f"median scraped: {s['rps']:.0f} req/s, {s['cpu_us_per_req']:.2f} µs/req "
          f"({scrapes} scrapes, {failures} failed)")
    print(f"scraped/quiet: req/s {summary['ratio']['rps']:.3f}, "
          f"CPU per request {summary['ratio']['cpu_us_per_req']:.3f}")
    out = BENCH / "results" / time.strftime("scrape-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"summary": summary, "runs": rows}, indent=1))
    print(f"written: {out}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
