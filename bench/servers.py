"""Starting and stopping one server under test (gantry, uWSGI or gunicorn) for one app and
one topology, with its own private nginx when the topology has one.

Each instance listens on exactly one socket: a server with several listeners may take a
slower accept path (uWSGI polls them all), which would not be the setup being compared.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from catalog import APPS_DIR, App
from fronts import ROOT, NginxFront, free_port, keepalive_site, proxy_site, uwsgi_site

GANTRY = ROOT / "build" / "gantry"
UWSGI = "/usr/bin/uwsgi"
GUNICORN = "/usr/bin/gunicorn"   # Debian's, run by /usr/bin/python3
SERVERS = ("gantry", "uwsgi", "gunicorn")
# nginx -> uwsgi protocol over TCP (gunicorn: nginx -> HTTP proxy), over a unix socket,
# the server's own HTTP socket with no nginx at all, and nginx -> the server's HTTP socket
# with a pool of upstream connections kept alive (over TCP and a unix socket; uWSGI's
# --http11-socket, gunicorn's sync worker, which closes each connection, over TCP only).
TOPOLOGIES = ("nginx-tcp", "nginx-unix", "http", "nginx-keepalive", "nginx-keepalive-unix")
LISTEN_BACKLOG = 1024            # gantry's default; uWSGI's is 100, gunicorn's 2048
STOP_TIMEOUT = 3.0


def supports(server: str, topology: str) -> bool:
    # gunicorn's sync worker closes every connection, so a pool of kept-alive upstream
    # connections is its nginx-tcp (proxy) figure again; uWSGI's --http11-socket is shown
    # over TCP, where the comparison with its uwsgi_pass is made.
    if server == "gunicorn":
        return topology in ("nginx-tcp", "http")
    return not (server == "uwsgi" and topology == "nginx-keepalive-unix")


def gantry_binary(wait: float = 180.0) -> Path:
    """build/gantry, waiting a while if a rebuild has it briefly missing."""
    deadline = time.monotonic() + wait
    while not os.access(GANTRY, os.X_OK):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{GANTRY} is missing; build it first (make)")
        time.sleep(1)
    return GANTRY


def gantry_fingerprint() -> str:
    """Identifies the gantry binary, so that a rebuild in the middle of a run is noticed."""
    return hashlib.sha256(gantry_binary().read_bytes()).hexdigest()[:16]


def command(server: str, app: App, listen: str, address: str, workers: int,
            lazy: bool) -> list[str]:
    """The command line serving `app` on one listener; `listen` is "uwsgi" or "http"."""
    if server == "gantry":
        flag = "--socket" if listen == "uwsgi" else "--http-socket"
        return [str(gantry_binary()), "--module", app.module, "--chdir", str(APPS_DIR),
                "--processes", str(workers), flag, address, "--disable-logging",
                "--listen", str(LISTEN_BACKLOG)] + (["--lazy-apps"] if lazy else [])
    if server == "uwsgi":
        # --http11-socket keeps connections alive by itself in 2.0.21; the separate
        # --http-keepalive belongs to the http router plugin and is refused here.
        flag = "--socket" if listen == "uwsgi" else "--http11-socket"
        return [UWSGI, "--plugin", "python3", "--master", "--processes", str(workers),
                "--chdir", str(APPS_DIR), "--module", app.module, flag, address,
                "--chmod-socket=660", "--disable-logging", "--need-app",
                "--listen", str(LISTEN_BACKLOG)] + (["--lazy-apps"] if lazy else [])
    if server == "gunicorn":
        return [GUNICORN, "--workers", str(workers), "--worker-class", "sync",
                "--bind", address, "--chdir", str(APPS_DIR), "--backlog", str(LISTEN_BACKLOG)
                ] + ([] if lazy else ["--preload"]) + [app.module]
    raise ValueError(server)


def _child_env() -> dict:
    # Nothing from a developer's Python environment leaks into the servers.
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


class Instance:
    """One server process tree (master + workers) and, for nginx-* topologies, its nginx."""

    def __init__(self, server: str, app: App, topology: str, workdir: Path,
                 workers: int = 2, lazy: bool = False, extra: list[str] | None = None):
        self.server, self.app, self.topology = server, app, topology
        self.extra = list(extra or [])   # more of the server's own options
        self.workers, self.lazy = workers, lazy
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"{server}.log"
        self.proc: subprocess.Popen | None = None
        self.nginx: NginxFront | None = None
        self.port = free_port()   # where clients (wrk, checks) connect
        self.started_at = 0.0     # time.monotonic() just before the spawn

    @property
    def name(self) -> str:
        return self.server + (" (lazy)" if self.lazy else "")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _listener(self) -> tuple[str, str, str | None]:
        """(listen kind, server address, nginx site) for this topology."""
        if self.topology == "http":
            return "http", f"127.0.0.1:{self.port}", None
        if self.topology == "nginx-keepalive":
            address = f"127.0.0.1:{free_port()}"
            return "http", address, keepalive_site(self.port, address)
        if self.topology == "nginx-keepalive-unix":
            sock = self.workdir / f"{self.server}-http.sock"
            sock.unlink(missing_ok=True)
            return "http", str(sock), keepalive_site(self.port, f"unix:{sock}")
        if self.topology == "nginx-unix":
            sock = self.workdir / f"{self.server}.sock"
            sock.unlink(missing_ok=True)
            return "uwsgi", str(sock), uwsgi_site(self.port, f"unix:{sock}")
        address = f"127.0.0.1:{free_port()}"
        if self.server == "gunicorn":
            return "http", address, proxy_site(self.port, address)
        return "uwsgi", address, uwsgi_site(self.port, address)

    def start(self) -> Instance:
        """Spawn the server (and its nginx); the caller waits for a correct answer."""
        listen, address, site = self._listener()
        argv = command(self.server, self.app, listen, address, self.workers, self.lazy) + self.extra
        with open(self.log_path, "ab") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(argv, cwd=APPS_DIR, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         env=_child_env(), start_new_session=True)
        if site is not None:
            self.nginx = NginxFront(self.workdir / "nginx", site, prefix=ROOT).start()
        return self

    def exited(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self.request_stop()
        self.finish_stop()

    def request_stop(self) -> None:
        """Immediate stop, SIGINT for all three (no wait: stop several at once)."""
        if self.nginx is not None:
            self.nginx.stop()
            self.nginx = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def finish_stop(self) -> None:
        """Waits for the stop, then SIGKILLs whatever is left of the process group (uWSGI
        may wait for a worker stuck on a keep-alive connection)."""
        if self.proc is None:
            return
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None


def versions() -> dict:
    """The version number each tool prints of itself."""
    def out(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except OSError as e:
            return f"unavailable ({e})"
        found = re.search(r"\d+\.\d+[\w.+-]*", done.stdout + done.stderr)
        return found.group(0) if found else "?"

    py = "/usr/bin/python3"
    return {
        "gantry": out([str(gantry_binary()), "--version"]),
        "uWSGI": out([UWSGI, "--version"]),
        "gunicorn": out([GUNICORN, "--version"]),
        "nginx": out(["/usr/sbin/nginx", "-v"]),
        "Python": out([py, "--version"]),
        "wrk": out(["wrk", "-v"]),
        "Flask": out([py, "-c", "import importlib.metadata as m; print(m.version('flask'))"]),
        "Django": out([py, "-c", "import django; print(django.get_version())"]),
    }
