"""Three gantry hosts, each in its own network namespace, and one nginx in front of them.

The nginx configuration here is the one the README documents as tested: keep the two in step.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tools"))

from gantry_proc import Gantry  # noqa: E402
from paths import GANTRY_BIN  # noqa: E402
from procs import ProcessRegistry, children, read_stat, wait_until  # noqa: E402

import netns  # noqa: E402

PORT = 3031
PROCESSES = 2
FAIL_TIMEOUT = 2.0       # nginx's fail_timeout: how long a failed host stays out of rotation
CONNECT_TIMEOUT = 0.2    # uwsgi_connect_timeout
READ_TIMEOUT = 2.0       # uwsgi_read_timeout
IP = shutil.which("ip", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or "ip"

UPSTREAM_TEMPLATE = """\
upstream fleet {{
{servers}}}

log_format fleet '$msec $request_time $request_uri $status '
                 'up=$upstream_addr ustatus=$upstream_status urt=$upstream_response_time';

server {{
    listen 127.0.0.1:{listen};
    access_log {access_log} fleet;
    keepalive_requests 100000;

    location / {{
        include uwsgi_params;
        uwsgi_pass fleet;
        # A GET that fails on one host is sent to the next: on a refused or reset connection
        # (error), on no answer in time (timeout), on a broken answer or a 503 (uwsgi_pass has
        # no http_502). Not non_idempotent: a POST is never replayed on another host.
        uwsgi_next_upstream error timeout invalid_header http_503;
        uwsgi_connect_timeout 200ms;
        uwsgi_send_timeout 2s;
        uwsgi_read_timeout 2s;
    }}
}}
"""


def nginx_site(addresses: list[str], listen: int, access_log: Path) -> str:
    servers = "".join(f"    server {a}:{PORT} max_fails=1 fail_timeout={FAIL_TIMEOUT:g}s;\n"
                      for a in addresses)
    return UPSTREAM_TEMPLATE.format(servers=servers, listen=listen, access_log=access_log)


def last_generation(log: str) -> int:
    found = re.findall(r"gantry ready: \d+ worker\(s\) of generation (\d+)", log)
    return int(found[-1]) if found else 0


@dataclass
class FleetHost:
    net: netns.Host
    workdir: Path
    registry: ProcessRegistry
    gantry: Gantry | None = None
    past: list[Gantry] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.net.name

    @property
    def pidfile(self) -> Path:
        return self.workdir / f"{self.name}.pid"

    @property
    def running(self) -> bool:
        return self.gantry is not None and self.gantry.running

    def start(self) -> Gantry:
        """gantry inside the host's namespace (`ip netns exec` execs it: same pid), ready once
        it answers a uwsgi request from the root namespace over the bridge."""
        assert not self.running, f"{self.name} is already running"
        if self.gantry is not None:
            self.past.append(self.gantry)
        self.workdir.mkdir(parents=True, exist_ok=True)
        g = Gantry(Path(IP), self.workdir, self.registry, default_cwd=HERE)
        env = dict(os.environ, FLEET_HOST=self.name, FLEET_WORKDIR=str(self.workdir))
        g.start("netns", "exec", self.net.ns, GANTRY_BIN,
                "--module", "app:application", "--chdir", HERE,
                "--socket", f"{self.net.address}:{PORT}", "--processes", PROCESSES,
                "--pidfile", self.pidfile, "--graceful-timeout", 5, "--disable-logging",
                env=env)
        assert g.pid == self.master_pid(), "ip netns exec should exec gantry, not fork it"
        self.gantry = g
        return g

    def master_pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def kill9(self) -> list[int]:
        """SIGKILL the master (its pid from the pidfile) and its workers (its children)."""
        master = self.master_pid()
        pids = [master, *children(master)]
        for pid in pids:
            self.registry.add(pid, f"gantry of {self.name}")
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.gantry.proc.wait(10)
        # The workers are reparented to init, which reaps them.
        assert wait_until(lambda: all(read_stat(p) is None or read_stat(p).state == "Z"
                                      for p in pids), 5), f"{pids} survived SIGKILL"
        return pids

    def signal(self, sig: int) -> None:
        os.kill(self.master_pid(), sig)

    def reload(self, sig: int, timeout: float = 15.0) -> int:
        """SIGHUP or SIGUSR2, then wait for the log to say the next generation is ready."""
        before = last_generation(self.gantry.log_text())
        self.signal(sig)
        assert wait_until(lambda: last_generation(self.gantry.log_text()) > before, timeout), (
            f"{self.name}: no generation after {before} within {timeout}s of "
            f"{signal.Signals(sig).name}\n--- log ---\n{self.gantry.log_text()}")
        return last_generation(self.gantry.log_text())

    def drain(self) -> int:
        """Graceful stop: SIGTERM, and gantry must exit 0."""
        return self.gantry.stop(signal.SIGTERM, expect_code=0)

    def logs(self) -> list[Gantry]:
        return [*self.past, *([self.gantry] if self.gantry else [])]
