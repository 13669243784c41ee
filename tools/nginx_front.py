"""Run a private nginx in front of gantry, for the demo and the integration tests.

No root is needed: everything nginx writes (pid, logs, temp files) goes to a
work directory, and the stock Debian `uwsgi_params` and `mime.types` are
copied beside the generated nginx.conf, so that a site's
`include uwsgi_params;` finds the very file a real deployment would use.

    site = render_site("examples/flask/nginx-site.conf", free_port(), "127.0.0.1:3031")
    with NginxFront(tmp_path / "nginx", site, prefix=repo_root) as nginx:
        urllib.request.urlopen(nginx.url)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

STOCK_DIR = Path("/etc/nginx")
# /usr/sbin is not on an ordinary user's PATH on Debian.
NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin") or "nginx"

_PORT = re.compile(r"(?<![\w$])listen\s+127\.0\.0\.1:(\d+)\s*;")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_site(site: str | os.PathLike, listen_port: int, upstream: str) -> str:
    """The server block(s) of `site` (a path, or the text itself) with every
    `listen` moved to 127.0.0.1:listen_port and every `uwsgi_pass`, and every
    `server` of an `upstream` block, pointed at `upstream` ("127.0.0.1:4567" or
    "unix:/path.sock"). Comments are left alone.
    A server block with several `listen` lines would end up with duplicates,
    which nginx refuses: give each server block one."""
    text = site if isinstance(site, str) and "{" in site else Path(site).read_text()
    text = _replace_directive(text, "listen", f"127.0.0.1:{listen_port}")
    text = _point_upstream_blocks(text, upstream)
    return _replace_directive(text, "uwsgi_pass", upstream)


def _point_upstream_blocks(text: str, upstream: str) -> str:
    """Every `server ADDRESS ...;` inside an `upstream NAME { }` block pointed at `upstream`
    (the keep-alive path's sites name their backend there, not in a *_pass)."""
    def point(block: re.Match) -> str:
        return re.sub(r"(?m)^(\s*)server\s[^;]*;", lambda m: f"{m.group(1)}server {upstream};",
                      block.group(0))
    return re.sub(r"upstream\s+[\w.-]+\s*\{[^}]*\}", point, text)


def _replace_directive(text: str, name: str, value: str) -> str:
    directive = re.compile(rf"(?<![\w$]){name}\s[^;]*;")
    lines = []
    for line in text.splitlines(keepends=True):
        code, hash_, comment = line.partition("#")
        lines.append(directive.sub(lambda _: f"{name} {value};", code) + hash_ + comment)
    return "".join(lines)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class NginxFront:
    """One nginx master (and one worker) serving `site_text`, which must
    listen on 127.0.0.1:PORT (see render_site). Relative paths in the site
    (an `alias`, a `root`) resolve against `prefix`."""

    def __init__(self, workdir: Path, site_text: str, prefix: Path):
        match = _PORT.search(site_text)
        if not match:
            raise ValueError("site has no 'listen 127.0.0.1:PORT;' (use render_site)")
        self.port = int(match.group(1))
        self.workdir = Path(workdir).resolve()
        self.prefix = Path(prefix).resolve()
        self.error_log = self.workdir / "error.log"
        self.access_log = self.workdir / "access.log"
        self._conf = self.workdir / "nginx.conf"
        self._proc: subprocess.Popen | None = None
        self._write_config(site_text)

    def _write_config(self, site_text: str) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in ("uwsgi_params", "mime.types"):
            shutil.copyfile(STOCK_DIR / name, self.workdir / name)
        # Each run starts with empty logs, so that what a test reads is its own.
        self.error_log.unlink(missing_ok=True)
        self.access_log.unlink(missing_ok=True)
        w = self.workdir
        # As root, nginx would run its worker as "nobody", which cannot use
        # the temp dirs below: keep the worker as root too.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        temp_paths = "".join(
            f"    {kind}_temp_path {w}/tmp/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        site = "".join(f"    {line}" if line.strip() else line
                       for line in site_text.splitlines(keepends=True))
        self._conf.write_text(
            f"{user}daemon off;\n"
            "master_process on;\n"
            "worker_processes 1;\n"
            f"pid {w}/nginx.pid;\n"
            f"error_log {self.error_log} info;\n"
            "\n"
            "events {}\n"
            "\n"
            "http {\n"
            "    include mime.types;\n"
            "    default_type application/octet-stream;\n"
            # Debian's value; below it nginx warns about mime.types at start.
            "    types_hash_max_size 2048;\n"
            f"    access_log {self.access_log};\n"
            f"{temp_paths}\n"
            f"{site}\n"
            "}\n"
        )

    def start(self, timeout: float = 10) -> NginxFront:
        """Start nginx and return once its port accepts connections."""
        if self._proc is not None:
            raise RuntimeError("nginx already started")
        # Otherwise whoever holds the port would pass for a ready nginx.
        if _accepts(self.port):
            raise RuntimeError(f"127.0.0.1:{self.port} is already in use")
        (self.workdir / "tmp").mkdir(exist_ok=True)
        self._proc = subprocess.Popen(
            [NGINX, "-p", f"{self.prefix}/", "-c", str(self._conf), "-e", str(self.error_log)],
            stdin=subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C reaches only our process,
            # which then stops nginx in order.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self._proc.poll() is not None:
                status, self._proc = self._proc.returncode, None
                raise RuntimeError(f"nginx exited with status {status}:\n{self._log_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx not listening after {timeout} s:\n{self._log_text()}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10) -> None:
        """Graceful stop (SIGQUIT: in-flight requests finish), SIGKILL after `timeout`."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGQUIT)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # The session's process group is the master and its worker.
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._proc = None

    def poll(self) -> int | None:
        """nginx's exit status if it has exited since start(), else None."""
        return self._proc.poll() if self._proc is not None else None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _log_text(self) -> str:
        return self.error_log.read_text() if self.error_log.exists() else "(no error log)"

    def __enter__(self) -> NginxFront:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
