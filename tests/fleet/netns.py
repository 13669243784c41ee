"""A private test network: one bridge in the root namespace, one namespace per host.

    root ns: bridge gfbNNN 198.18.0.1/24 (no uplink, no default route added)
        veth gfv1xxxx  <->  ns gantry-h1-PID-xxxx: eth0 198.18.0.11/24, lo
        veth gfv2xxxx  <->  ns gantry-h2-PID-xxxx: eth0 198.18.0.12/24, lo
        ...

Addresses come only from 198.18.0.0/15 (RFC 2544's benchmarking range); a namespace has only
its connected /24, so nothing it sends can leave these interfaces. IPv6 is turned off on every
interface made here, so not even router solicitations go out. Every name carries the creating
process's pid (the namespace's name, the links' alias), so that a later run removes what a
crashed one left behind, and never what a live run is using.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

NS_PREFIX = "gantry-h"
ALIAS_PREFIX = "gantry-fleet:"
SUBNET = "198.18.0"
BRIDGE_ADDRESS = f"{SUBNET}.1"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def probe_netns() -> str | None:
    """None if this process may create network namespaces, else why not."""
    if os.geteuid() != 0:
        return "the fleet test needs root (ip netns add, veth pairs, a bridge)"
    name = f"{NS_PREFIX}probe-{os.getpid()}"
    try:
        result = ip("netns", "add", name, check=False)
    except FileNotFoundError:
        return "the fleet test needs iproute2's ip command"
    if result.returncode != 0:
        return f"ip netns add fails here: {result.stderr.strip()}"
    ip("netns", "del", name, check=False)
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name_or_alias: str) -> int | None:
    """The pid in "gantry-hN-PID-xxxx" or "gantry-fleet:PID"."""
    if name_or_alias.startswith(ALIAS_PREFIX):
        digits = name_or_alias[len(ALIAS_PREFIX):]
    else:
        parts = name_or_alias.split("-")
        digits = parts[2] if len(parts) >= 4 else ""
    return int(digits) if digits.isdigit() else None


def our_namespaces(owner: int | None = None) -> list[str]:
    names = [line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.strip()]
    return [n for n in names if n.startswith(NS_PREFIX)
            and (owner is None or _owner(n) == owner)]


def our_links(owner: int | None = None) -> list[str]:
    """Links in the root namespace whose alias marks them as made by a fleet run."""
    found = []
    for line in ip("-o", "link", "show").stdout.splitlines():
        # "5: gfb123: <...> ... \    alias gantry-fleet:1234"
        if f"alias {ALIAS_PREFIX}" not in line:
            continue
        name = line.split(":", 2)[1].strip().split("@")[0]
        alias = line.rsplit("alias ", 1)[1].split()[0]
        if owner is None or _owner(alias) == owner:
            found.append(name)
    return found


def kill_namespace_processes(ns: str) -> list[int]:
    """SIGKILL every process left in `ns` (by pid, from `ip netns pids`)."""
    pids = [int(p) for p in ip("netns", "pids", ns, check=False).stdout.split() if p.isdigit()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def remove_leftovers() -> list[str]:
    """Remove namespaces and links of earlier fleet runs whose process is gone."""
    removed = []
    for ns in our_namespaces():
        owner = _owner(ns)
        if owner is not None and owner != os.getpid() and _pid_alive(owner):
            continue  # a run in progress
        kill_namespace_processes(ns)
        ip("netns", "del", ns, check=False)
        removed.append(f"netns {ns}")
    for line in ip("-o", "link", "show").stdout.splitlines():
        if f"alias {ALIAS_PREFIX}" not in line:
            continue
        name = line.split(":", 2)[1].strip().split("@")[0]
        owner = _owner(line.rsplit("alias ", 1)[1].split()[0])
        if owner is not None and owner != os.getpid() and _pid_alive(owner):
            continue
        ip("link", "del", name, check=False)
        removed.append(f"link {name}")
    return removed


def _disable_ipv6_root(ifname: str) -> None:
    path = Path(f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6")
    if path.exists():
        path.write_text("1\n")


@dataclass
class Host:
    index: int
    name: str          # "h1": what the app answers
    ns: str            # the namespace
    address: str       # 198.18.0.1N
    veth: str          # the bridge-side end, in the root namespace


@dataclass
class TestNetwork:
    bridge: str
    hosts: list[Host] = field(default_factory=list)

    def cut(self, host: Host) -> None:
        """Its bridge-side veth down: packets to and from it vanish, nobody sends a reset."""
        ip("link", "set", host.veth, "down")

    def restore(self, host: Host) -> None:
        ip("link", "set", host.veth, "up")

    def routes(self, host: Host) -> list[str]:
        return [line.strip() for line in ip("-n", host.ns, "route", "show").stdout.splitlines()
                if line.strip()]

    def teardown(self) -> list[str]:
        """Remove everything made; returns what was found still running in a namespace."""
        stray = []
        for host in self.hosts:
            stray += [f"pid {p} in {host.ns}" for p in kill_namespace_processes(host.ns)]
            ip("netns", "del", host.ns, check=False)   # takes its veth pair with it
            ip("link", "del", host.veth, check=False)  # in case the namespace never got it
        ip("link", "del", self.bridge, check=False)
        return stray


def create(count: int) -> TestNetwork:
    """The bridge and `count` hosts; on any error, what was made is removed again."""
    pid = os.getpid()
    alias = f"{ALIAS_PREFIX}{pid}"
    net = TestNetwork(bridge=f"gfb{pid % 1000}")
    try:
        ip("link", "add", net.bridge, "type", "bridge")
        ip("link", "set", net.bridge, "alias", alias)
        _disable_ipv6_root(net.bridge)
        ip("addr", "add", f"{BRIDGE_ADDRESS}/24", "dev", net.bridge)
        ip("link", "set", net.bridge, "up")
        for i in range(1, count + 1):
            tag = secrets.token_hex(2)
            host = Host(index=i, name=f"h{i}", ns=f"{NS_PREFIX}{i}-{pid}-{tag}",
                        address=f"{SUBNET}.1{i}", veth=f"gfv{i}{tag}")
            peer = f"gfp{i}{tag}"
            net.hosts.append(host)
            ip("netns", "add", host.ns)
            ip("link", "add", host.veth, "type", "veth", "peer", "name", peer)
            ip("link", "set", host.veth, "alias", alias)
            _disable_ipv6_root(host.veth)
            ip("link", "set", peer, "netns", host.ns)
            ip("link", "set", host.veth, "master", net.bridge)
            ip("link", "set", host.veth, "up")
            inside = ("ip", "netns", "exec", host.ns)
            for conf in ("all", "default"):
                subprocess.run([*inside, "sysctl", "-q", "-w",
                                f"net.ipv6.conf.{conf}.disable_ipv6=1"],
                               capture_output=True, check=False)
            ip("-n", host.ns, "link", "set", peer, "name", "eth0")
            ip("-n", host.ns, "addr", "add", f"{host.address}/24", "dev", "eth0")
            ip("-n", host.ns, "link", "set", "lo", "up")
            ip("-n", host.ns, "link", "set", "eth0", "up")
        return net
    except BaseException:
        net.teardown()
        raise
