"""The fleet fixture: a private network, three gantry hosts and nginx, for the whole module.

Everything is removed at the end, also when a test or the set-up fails: the gantry processes
(by pid), nginx, the namespaces, the veth pairs and the bridge; then the teardown checks that
none of them is left and fails the run if one is.
"""

from __future__ import annotations

import http.client
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# fleet_hosts puts tests/integration and tools/ on the path: import it first.
from fleet_hosts import FAIL_TIMEOUT, REPO, FleetHost, nginx_site  # noqa: E402, I001
import netns  # noqa: E402
import nginx_front  # noqa: E402
from procs import ProcessRegistry, wait_until  # noqa: E402

HOSTS = 3
SURVIVOR_TIMEOUT = 5.0
# How long a host that is up again may take to get requests through nginx: fail_timeout
# (it may have been marked failed just before) plus a few seconds.
REJOIN_TIMEOUT = FAIL_TIMEOUT + 3.0


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, every fleet test where namespaces cannot be made."""
    fleet_items = [i for i in items if Path(str(i.fspath)).parent == Path(__file__).parent]
    if not fleet_items:
        return
    reason = netns.probe_netns()
    if reason:
        for item in fleet_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Fleet:
    net: netns.TestNetwork
    hosts: list[FleetHost]
    front: object  # nginx_front.NginxFront
    access_log: Path
    reports: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.front.port

    def host(self, name: str) -> FleetHost:
        return next(h for h in self.hosts if h.name == name)

    def names_served(self, requests: int = 30) -> set[str]:
        """The hosts that answer `requests` sequential GETs through nginx."""
        seen = set()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            for n in range(requests):
                conn.request("GET", f"/probe{n}")
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace").strip()
                if resp.status == 200:
                    seen.add(body)
        finally:
            conn.close()
        return seen

    def ensure_healthy(self) -> None:
        """Every link up, every host running, and nginx sending requests to all of them."""
        for h in self.hosts:
            netns.ip("link", "set", h.net.veth, "up")
            if not h.running:
                h.start()
        want = {h.name for h in self.hosts}
        assert wait_until(lambda: self.names_served() >= want, REJOIN_TIMEOUT + 5, interval=0.2), (
            f"not every host in rotation: {self.names_served()} of {want}")

    def upstreams(self) -> dict[int, str]:
        """request id -> nginx's $upstream_addr for it ("a:3031, b:3031" when retried)."""
        found = {}
        for line in self.access_log.read_text().splitlines():
            parts = line.split(" ", 4)
            if len(parts) == 5 and parts[2].startswith("/r") and parts[2][2:].isdigit():
                up = parts[4].split(" ustatus=", 1)[0].removeprefix("up=")
                found[int(parts[2][2:])] = up
        return found


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    removed = netns.remove_leftovers()
    if removed:
        print(f"\n[fleet] removed leftovers of an earlier run: {', '.join(removed)}")
    workdir = tmp_path_factory.mktemp("fleet")
    registry = ProcessRegistry()
    net = None
    hosts: list[FleetHost] = []
    front = None
    started = time.monotonic()
    the_fleet = None
    try:
        net = netns.create(HOSTS)
        for h in net.hosts:
            routes = net.routes(h)
            assert routes == [f"{netns.SUBNET}.0/24 dev eth0 proto kernel scope link "
                              f"src {h.address}"], f"{h.ns} must have only its /24: {routes}"
        hosts = [FleetHost(h, workdir / h.name, registry) for h in net.hosts]
        for h in hosts:
            h.start()
        access_log = workdir / "nginx-fleet-access.log"
        listen = nginx_front.free_port()
        site = nginx_site([h.address for h in net.hosts], listen, access_log)
        front = nginx_front.NginxFront(workdir / "nginx", site, REPO)
        front.start()
        registry.add_tree(front.pid, "nginx")
        the_fleet = Fleet(net, hosts, front, access_log)
        the_fleet.ensure_healthy()
        print(f"\n[fleet] up in {time.monotonic() - started:.1f} s: bridge {net.bridge}, "
              + ", ".join(f"{h.name}={h.address} in {h.ns}" for h in net.hosts))
        yield the_fleet
    finally:
        problems = _teardown(net, hosts, front, registry)
        if the_fleet is not None and the_fleet.reports:
            print("\n[fleet] summary\n  " + "\n  ".join(the_fleet.reports))
        print(f"[fleet] whole run: {time.monotonic() - started:.1f} s")
        if problems:
            pytest.fail("fleet teardown:\n  " + "\n  ".join(problems))


def _teardown(net, hosts, front, registry) -> list[str]:
    problems = []
    for h in hosts:
        if h.running:
            registry.add_tree(h.gantry.pid, f"gantry of {h.name}")
            try:
                h.gantry.stop(signal.SIGTERM)
            except BaseException as exc:  # noqa: BLE001 - clean up the rest first
                h.gantry.kill_hard()
                problems.append(f"{h.name} did not stop cleanly: {exc}")
        for g in h.logs():
            errors = g.error_lines() + g.sanitizer_lines()
            if errors:
                problems.append(f"error lines in {h.name}'s log {g.log_path}:\n    "
                                + "\n    ".join(errors))
    if front is not None:
        if front.pid:
            registry.add_tree(front.pid, "nginx")
        front.stop()
    if net is not None:
        stray = net.teardown()
        if stray:
            problems.append(f"processes still in the namespaces (killed): {stray}")
    if not wait_until(lambda: not registry.survivors(), SURVIVOR_TIMEOUT):
        problems.append(f"processes still running: {registry.survivors()}")
        registry.kill_survivors()
    mine = os.getpid()
    left = netns.our_namespaces(mine) + netns.our_links(mine)
    if left:
        problems.append(f"network leftovers: {left}")
    return problems
