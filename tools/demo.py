"""Run an example app the way it is deployed: browser -> nginx -> gantry.

    /usr/bin/python3 tools/demo.py [flask|hello|django|django-standalone|django-keepalive]
                                   [--check]

Starts build/gantry with examples/APP/gantry.yaml and a private nginx with
examples/APP/nginx-site.conf in front of it, then waits for Ctrl-C. Stops
both, leaving no process behind, on Ctrl-C, SIGTERM, or when either exits.
For django it first runs the example's setup (migrate, demo superuser,
collectstatic) into build/django-data/. django-standalone is the same app with
no nginx: examples/django/gantry-standalone.yaml serves it and its static
files on gantry's own HTTP socket (--static-map). django-keepalive puts nginx's
pool of kept-alive upstream connections (nginx-keepalive-site.conf) in front of
gantry's HTTP socket (gantry-keepalive.yaml) instead of uwsgi_pass.
--check fetches a page or two instead of waiting, for CI (and, standalone,
that a static file comes back 304 when asked again with its ETag).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from nginx_front import NginxFront, render_site

ROOT = Path(__file__).resolve().parent.parent
GANTRY = ROOT / "build" / "gantry"
PYTHON = "/usr/bin/python3"  # Debian's, the one gantry embeds; not whatever is on PATH
# examples/django's generated state (SQLite database, collected static files):
# the default of its settings, and where its nginx site's static alias points.
DJANGO_DATA_DIR = ROOT / "build" / "django-data"
DJANGO_DEMO_USER, DJANGO_DEMO_PASSWORD = "admin", "gantry-demo"
# No proxy from the environment: the demo only ever talks to 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


# Variants of an example: (example folder, gantry's yaml, nginx's site or None, gantry's
# own address when no nginx is in front: where the browser goes).
VARIANTS = {
    "django-standalone": ("django", "gantry-standalone.yaml", None, "127.0.0.1:8000"),
    # nginx's pool of kept-alive connections to gantry's HTTP socket.
    "django-keepalive": ("django", "gantry-keepalive.yaml", "nginx-keepalive-site.conf", None),
}


class DirectFront:
    """What the demo needs of a front when there is none: gantry's own address."""

    def __init__(self, address: str):
        self.url = f"http://{address}/"
        self.pid = None

    def poll(self):
        return None

    def stop(self) -> None:
        pass


def main() -> int:
    args = parse_args()
    app_name, yaml_name, site_name, direct = VARIANTS.get(
        args.app, (args.app, "gantry.yaml", "nginx-site.conf", None))
    app_dir = ROOT / "examples" / app_name
    yaml = app_dir / yaml_name
    if not yaml.exists():
        sys.exit(f"demo: no example named {args.app!r} ({yaml} is missing)")
    if not GANTRY.exists():
        sys.exit(f"demo: {GANTRY} is missing; build it first (make)")
    socket_addr = None if direct else args.socket or yaml_socket(yaml)

    def on_sigterm(signum, frame):
        raise Stop

    signal.signal(signal.SIGTERM, on_sigterm)
    gantry = nginx = None
    try:
        if app_name == "django":
            setup_django(app_dir)
        gantry = start_gantry(yaml, None if direct else args.socket,
                              "--http-socket" if "http-socket:" in yaml.read_text() else "--socket")
        if direct:
            nginx = DirectFront(direct)
        else:
            site = render_site(app_dir / site_name, args.port, upstream(socket_addr))
            nginx = NginxFront(ROOT / "build" / "demo" / args.app, site, prefix=ROOT)
            nginx.start()
        wait_until_served(nginx, gantry)
        if args.check:
            return check(nginx, app_dir, app_name, revalidate=bool(direct))
        print(f"Gantry demo ({args.app}) at {nginx.url} — Ctrl-C to stop", flush=True)
        if app_name == "django":
            print(f"Django admin at {nginx.url}admin/ — user {DJANGO_DEMO_USER!r}, password "
                  f"{DJANGO_DEMO_PASSWORD!r} (unless changed since it was created)", flush=True)
        children = {gantry.pid: "gantry"} | ({nginx.pid: "nginx"} if nginx.pid else {})
        name, how = wait_for_exit(children)
        print(f"demo: {name} {how}; stopping", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stop):
        return 0
    except RuntimeError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if nginx is not None:
            nginx.stop()
        if gantry is not None:
            stop_gantry(gantry)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("app", nargs="?", default="flask", help="examples/APP (default: flask)")
    p.add_argument("--check", action="store_true", help="fetch pages through nginx, then stop")
    p.add_argument("--socket", help="gantry's socket (uwsgi; HTTP for django-keepalive), "
                   "overriding the yaml's")
    p.add_argument("--port", type=int, default=8080, help="nginx's port (default: 8080)")
    return p.parse_args()


def yaml_socket(yaml: Path) -> str:
    match = re.search(r"^\s+(?:http-)?socket:\s*[\"']?([^\"'\s#]+)", yaml.read_text(), re.M)
    if not match:
        sys.exit(f"demo: no 'socket:' or 'http-socket:' in {yaml}; pass --socket")
    return match.group(1)


def upstream(socket_addr: str) -> str:
    """gantry's socket as nginx's uwsgi_pass (or an upstream block's server) wants it."""
    if socket_addr.startswith("/"):
        return f"unix:{socket_addr}"
    host, _, port = socket_addr.rpartition(":")
    return f"127.0.0.1:{port}" if host in ("", "0.0.0.0") else socket_addr


def setup_django(app_dir: Path) -> None:
    """Run examples/django's setup, which is idempotent: migrate the SQLite
    database, create the demo superuser unless it exists, collect the static
    files."""
    # Always the data directory that nginx-site.conf's alias points to; gantry
    # inherits the variable too.
    os.environ["GANTRY_DJANGO_DATA_DIR"] = str(DJANGO_DATA_DIR)
    cmd = [PYTHON, "manage.py", "demo_setup", "--verbosity", "0",
           "--username", DJANGO_DEMO_USER, "--password", DJANGO_DEMO_PASSWORD]
    print(f"demo: setting up examples/django in {DJANGO_DATA_DIR.relative_to(ROOT)}/", flush=True)
    if subprocess.run(cmd, cwd=app_dir, stdin=subprocess.DEVNULL).returncode != 0:
        raise RuntimeError(f"the django setup failed: {' '.join(cmd)} (in {app_dir})")


def start_gantry(yaml: Path, socket_override: str | None, socket_flag: str) -> subprocess.Popen:
    cmd = [str(GANTRY), "--yaml", str(yaml)]
    if socket_override:
        cmd += [socket_flag, socket_override]
    # Its own session, so that Ctrl-C reaches only us; we stop it in order.
    # Its log goes straight to our terminal.
    return subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True)


def wait_until_served(nginx, gantry: subprocess.Popen, timeout: float = 30) -> None:
    """Until nginx answers / without a gateway error, i.e. gantry serves it."""
    deadline = time.monotonic() + timeout
    while True:
        if gantry.poll() is not None:
            raise RuntimeError(f"gantry exited with status {gantry.returncode}")
        if nginx.poll() is not None:
            raise RuntimeError(f"nginx exited with status {nginx.poll()}; see {nginx.error_log}")
        try:
            with OPENER.open(nginx.url, timeout=5):
                return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no answer from gantry through {nginx.url} after {timeout} s")
        time.sleep(0.05)


# Pages beyond / that --check fetches; django's static files are collected ones
# (ManifestStaticFilesStorage keeps the unhashed names beside the hashed ones).
CHECK_PATHS = {
    "django": ["/admin/login/", "/static/admin/css/base.css", "/static/demo/style.css"],
}


def fetch(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as r:
            return r.status, r.reason, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.reason, e.headers, e.read()


def check(nginx, app_dir: Path, app: str, revalidate: bool = False) -> int:
    paths = ["/", *CHECK_PATHS.get(app, [])]
    if (app_dir / "static" / "style.css").exists():
        paths.append("/static/style.css")
    ok = True
    for path in paths:
        status, reason, headers, body = fetch(nginx.url.rstrip("/") + path)
        print(f"GET {path} -> {status} {reason} "
              f"({headers.get('Content-Type')}, {len(body)} bytes)", flush=True)
        ok = ok and status == 200
        # A browser's reload: the static file again, with the validator it was given.
        if revalidate and path.startswith("/static/") and headers.get("ETag"):
            again = fetch(nginx.url.rstrip("/") + path, {"If-None-Match": headers["ETag"]})
            print(f"GET {path} (If-None-Match) -> {again[0]} {again[1]}", flush=True)
            ok = ok and again[0] == 304
    return 0 if ok else 1


def wait_for_exit(children: dict[int, str]) -> tuple[str, str]:
    """Block until one of our children exits (without reaping it, so that
    Popen still can); return its name and how it ended."""
    info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
    how = (f"exited with status {info.si_status}" if info.si_code == os.CLD_EXITED
           else f"was killed by signal {info.si_status}")
    return children[info.si_pid], how


def stop_gantry(gantry: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM (graceful), then SIGKILL to its whole process group."""
    if gantry.poll() is None:
        gantry.terminate()
        try:
            gantry.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(gantry.pid, signal.SIGKILL)
            gantry.wait()


if __name__ == "__main__":
    sys.exit(main())
