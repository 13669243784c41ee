"""systemd's notification protocol (sd_notify): the test plays systemd's part with its own
NOTIFY_SOCKET, an AF_UNIX datagram socket that records every message gantry's master sends,
with the sender's pid (SO_PASSCRED), and checks their order across reloads and a stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from gantry_proc import SLOW, Gantry, free_port, run_to_exit
from http_client import HttpConn, HttpGantry
from paths import GANTRY_BIN, REPO
from procs import listening_tcp_ports, wait_until
from reload_app import copy_app, set_version

WAIT = 10.0 * SLOW  # for what must come; a deadline, not a sleep


def hello_args(port, *extra):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", *extra)


def monotonic_usec() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class NotifyListener:
    """systemd's end of NOTIFY_SOCKET: every datagram, parsed, with the sending pid."""

    def __init__(self, path):
        self.path = str(path)
        assert len(self.path) < 108, f"socket path too long for AF_UNIX: {self.path}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.1)
        self.lock = threading.Lock()
        self.messages: list[tuple[int, dict[str, str]]] = []  # (sender pid, fields)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        creds_size = struct.calcsize("3i")
        while not self.done.is_set():
            try:
                data, ancdata, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(creds_size))
            except socket.timeout:
                continue
            except OSError:
                return
            pid = 0
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:creds_size])[0]
            fields = {}
            for line in data.decode().split("\n"):
                if line:
                    key, _, value = line.partition("=")
                    fields[key] = value
            with self.lock:
                self.messages.append((pid, fields))

    def close(self):
        self.done.set()
        self.thread.join(5)
        self.sock.close()

    def snapshot(self) -> list[tuple[int, dict[str, str]]]:
        with self.lock:
            return list(self.messages)

    def events(self) -> list[str]:
        """READY / RELOADING / STOPPING in order (WATCHDOG and bare STATUS left out)."""
        out = []
        for _, fields in self.snapshot():
            for key in ("READY", "RELOADING", "STOPPING"):
                if fields.get(key) == "1":
                    out.append(key)
        return out

    def wait_events(self, expected: list[str], what: str) -> None:
        if not wait_until(lambda: self.events() == expected, WAIT):
            pytest.fail(f"waiting for {what}: expected events {expected}, got {self.events()}\n"
                        f"messages: {self.snapshot()}")

    def count(self, key: str) -> int:
        return sum(1 for _, fields in self.snapshot() if fields.get(key) == "1")


@pytest.fixture
def notify(tmp_path):
    listener = NotifyListener(tmp_path / "notify.sock")
    yield listener
    listener.close()


def env_with(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(extra)
    return env


def check_reload_cycle(gantry, port, notify, sig, extra=()):
    g = gantry.start(*hello_args(port, "--processes", "2", *extra),
                     env=env_with(NOTIFY_SOCKET=notify.path))
    notify.wait_events(["READY"], "the first READY=1")
    ready = [f for _, f in notify.snapshot() if f.get("READY") == "1"][0]
    assert ready["MAINPID"] == str(g.pid)
    assert ready["STATUS"].startswith("2 worker(s) ready on "), ready
    assert f"127.0.0.1:{port}" in ready["STATUS"]

    before = monotonic_usec()
    os.kill(g.pid, sig)
    notify.wait_events(["READY", "RELOADING", "READY"], f"the reload after {sig.name}")
    after = monotonic_usec()
    reloading = [f for _, f in notify.snapshot() if f.get("RELOADING") == "1"][0]
    assert before <= int(reloading["MONOTONIC_USEC"]) <= after, (before, reloading, after)
    assert sig.name in reloading["STATUS"], reloading
    ready_again = [f for _, f in notify.snapshot() if f.get("READY") == "1"][1]
    # The fresh master is the same process (exec keeps the pid): MAINPID says so again.
    assert ready_again["MAINPID"] == str(g.pid)
    assert ready_again["STATUS"].startswith("2 worker(s) ready on ")
    assert g.request().status == 200

    g.stop(signal.SIGTERM)
    notify.wait_events(["READY", "RELOADING", "READY", "STOPPING"], "STOPPING=1 after SIGTERM")
    stopping = [f for _, f in notify.snapshot() if f.get("STOPPING") == "1"][0]
    assert stopping.get("STATUS", "").startswith("stopping"), stopping
    # Only the master speaks to systemd, never a worker (NotifyAccess=main would drop them).
    assert {pid for pid, _ in notify.snapshot()} == {g.pid}
    assert all("STATUS" in f for _, f in notify.snapshot() if "WATCHDOG" not in f)


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_ready_reload_ready_stopping_on_sighup(gantry, port, notify, extra):
    check_reload_cycle(gantry, port, notify, signal.SIGHUP, extra)


def test_chain_reload_notifies_the_same(gantry, port, notify):
    check_reload_cycle(gantry, port, notify, signal.SIGUSR2)


def test_touch_reload_notifies_reloading_then_ready(gantry, port, notify, tmp_path):
    touch = tmp_path / "reload.touch"
    touch.write_text("")
    g = gantry.start(*hello_args(port, "--touch-reload", touch),
                     env=env_with(NOTIFY_SOCKET=notify.path))
    notify.wait_events(["READY"], "the first READY=1")
    # Move the mtime forward explicitly: a write within the same clock tick might not.
    stamp = touch.stat().st_mtime + 5
    os.utime(touch, (stamp, stamp))
    notify.wait_events(["READY", "RELOADING", "READY"], "the touch-reload")
    reloading = [f for _, f in notify.snapshot() if f.get("RELOADING") == "1"][0]
    assert "touch-reload" in reloading["STATUS"], reloading
    g.stop()


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_a_failed_reload_says_ready_again_with_why(gantry, port, notify, tmp_path, extra):
    """systemd would wait in "reloading" for a READY=1 that a failed reload never brings: the
    old workers serve on, so gantry says READY=1 with a STATUS that says the reload failed."""
    app_dir = copy_app(tmp_path)
    g = gantry.start("--module", "app:application", "--chdir", app_dir,
                     "--socket", f"127.0.0.1:{port}", "--processes", "2", *extra,
                     env=env_with(NOTIFY_SOCKET=notify.path),
                     allow_log_errors=True)  # the failed reload is an error line
    notify.wait_events(["READY"], "READY=1")
    source = app_dir / "app.py"
    good = source.read_text()
    source.write_text(good + '\nraise RuntimeError("broken deploy for the notify test")\n')
    shutil.rmtree(app_dir / "__pycache__", ignore_errors=True)
    os.kill(g.pid, signal.SIGHUP)
    notify.wait_events(["READY", "RELOADING", "READY"], "READY=1 after the failed reload")
    ready = [f for _, f in notify.snapshot() if f.get("READY") == "1"][1]
    assert ready["STATUS"].startswith("reload failed"), ready
    assert ready["MAINPID"] == str(g.pid)
    assert g.request().text.startswith("v1 pid=")

    source.write_text(good)
    set_version(app_dir, "v2-fixed")
    os.kill(g.pid, signal.SIGHUP)
    notify.wait_events(["READY", "RELOADING", "READY", "RELOADING", "READY"],
                       "the reload of the fixed code")
    ready = [f for _, f in notify.snapshot() if f.get("READY") == "1"][2]
    assert ready["STATUS"].startswith("2 worker(s) ready on "), ready
    assert wait_until(lambda: g.request().text.startswith("v2-fixed pid="), WAIT)
    g.stop()


def test_a_cheap_master_is_ready_before_any_worker(gantry, port, notify):
    g = gantry.start(*hello_args(port, "--cheap"), env=env_with(NOTIFY_SOCKET=notify.path))
    # The readiness probe woke the pool: READY=1 came first for the cheap master, again
    # once its worker is up.
    notify.wait_events(["READY", "READY"], "READY=1 twice")
    first, second = [f for _, f in notify.snapshot() if f.get("READY") == "1"]
    assert first["STATUS"].startswith("cheap mode (--cheap)"), first
    assert second["STATUS"].startswith("1 worker(s) ready on "), second
    g.stop()


def test_status_lines_follow_the_requests(gantry, port, notify):
    g = gantry.start(*hello_args(port), env=env_with(NOTIFY_SOCKET=notify.path))
    notify.wait_events(["READY"], "READY=1")
    for _ in range(3):
        assert g.request().status == 200

    def served():  # the readiness probe was one request too
        return [f["STATUS"] for _, f in notify.snapshot()
                if "STATUS" in f and "request(s) served" in f["STATUS"]
                and int(f["STATUS"].split(" request(s)")[0].rsplit(" ", 1)[1]) >= 4]

    assert wait_until(served, WAIT), notify.snapshot()
    assert served()[-1].startswith("1 of 1 worker(s) ready on "), served()
    g.stop()


def test_watchdog_pings_every_half_period_across_a_reload(gantry, port, notify):
    g = gantry.start(*hello_args(port),
                     env=env_with(NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="400000"))
    notify.wait_events(["READY"], "READY=1")
    # Every 200 ms: a handful arrive well within the deadline.
    assert wait_until(lambda: notify.count("WATCHDOG") >= 5, WAIT), notify.snapshot()
    os.kill(g.pid, signal.SIGHUP)
    notify.wait_events(["READY", "RELOADING", "READY"], "the reload")
    # The re-executed master keeps pinging: WATCHDOG_USEC survived the exec.
    seen = notify.count("WATCHDOG")
    assert wait_until(lambda: notify.count("WATCHDOG") >= seen + 3, WAIT), notify.snapshot()
    g.stop()
    assert {pid for pid, _ in notify.snapshot()} == {g.pid}


def test_watchdog_for_another_pid_is_not_ours(gantry, port, notify):
    # WATCHDOG_PID names the process systemd watches: pid 1 is not gantry, so no pings.
    g = gantry.start(*hello_args(port),
                     env=env_with(NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="200000",
                                  WATCHDOG_PID="1"))
    notify.wait_events(["READY"], "READY=1")
    # Checking that something does NOT happen: ten of its periods go by.
    assert not wait_until(lambda: notify.count("WATCHDOG") > 0, 1.0)
    g.stop()


def test_without_notify_socket_nothing_changes(gantry, port):
    g = gantry.start(*hello_args(port, "--processes", "2"),
                     env=env_with(WATCHDOG_USEC="200000"))
    g.wait_for_log("gantry ready:", WAIT)
    os.kill(g.pid, signal.SIGHUP)
    assert wait_until(lambda: g.log_text().count("gantry ready:") >= 2, WAIT), g.log_text()
    assert g.request().status == 200
    g.stop()
    assert "sd_notify" not in g.log_text()
    assert "watchdog" not in g.log_text()


def test_notify_socket_nobody_listens_on_warns_once_and_serves(gantry, port, tmp_path):
    g = gantry.start(*hello_args(port),
                     env=env_with(NOTIFY_SOCKET=str(tmp_path / "nobody.sock"),
                                  WATCHDOG_USEC="200000"))
    g.wait_for_log("gantry ready:", WAIT)
    assert g.request().status == 200
    g.stop()
    assert g.log_text().count("sd_notify to NOTIFY_SOCKET failed") == 1, g.log_text()


# -- socket activation -------------------------------------------------------------------

SOCKET_ACTIVATE = shutil.which("systemd-socket-activate")


# systemd-socket-activate gives the program it starts none of its own environment: what a
# sanitizer build needs (make test-sanitize) is passed on by name, as NOTIFY_SOCKET is.
PASSED_ON = ("NOTIFY_SOCKET", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONMALLOC")


def passed_on(env) -> list[str]:
    return [f"--setenv={k}" for k in env if k in PASSED_ON]


def start_activated(gantry, listen, args, env, fdname=None, kind=Gantry):
    """gantry under systemd-socket-activate, which binds `listen`, waits for the first
    connection (the readiness probe: uwsgi, or HTTP for kind=HttpGantry) and execs gantry in
    its own process with LISTEN_FDS (and LISTEN_FDNAMES with `fdname`)."""
    if SOCKET_ACTIVATE is None:
        pytest.skip("systemd-socket-activate is not installed")
    g = kind(Path(SOCKET_ACTIVATE), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)
    named = [f"--fdname={fdname}"] if fdname else []
    return g.start("-l", listen, *named, *passed_on(env), str(GANTRY_BIN), *args, env=env,
                   address=listen)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_socket_activation_serves_and_reloads_on_the_passed_socket(gantry, port, notify, tmp_path,
                                                                   kind):
    address = f"127.0.0.1:{port}" if kind == "tcp" else str(tmp_path / "gantry.sock")
    args = ("--module", "app:application", "--chdir", "examples/hello", "--socket", address,
            "--processes", "2")
    g = start_activated(gantry, address, args, env_with(NOTIFY_SOCKET=notify.path))
    g.wait_for_log(f"--socket {address}: the socket systemd passed (descriptor 3)", WAIT)
    notify.wait_events(["READY"], "READY=1")
    assert g.request().status == 200
    os.kill(g.pid, signal.SIGHUP)
    notify.wait_events(["READY", "RELOADING", "READY"], "the reload")
    assert g.request().status == 200
    # The reloaded master serves on systemd's socket still: descriptor 3, never bound again.
    assert os.readlink(f"/proc/{g.pid}/fd/3").startswith("socket:")
    assert g.log_text().count("the socket systemd passed") == 1
    g.stop()
    notify.wait_events(["READY", "RELOADING", "READY", "STOPPING"], "STOPPING=1")
    if kind == "unix":  # systemd's socket file: left for the next activation
        assert Path(address).exists()


def test_an_activated_socket_no_option_names_is_closed(gantry, port, tmp_path):
    other = free_port()
    if SOCKET_ACTIVATE is None:
        pytest.skip("systemd-socket-activate is not installed")
    g = Gantry(Path(SOCKET_ACTIVATE), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)
    # Two sockets: the probe's port is activated (fd 3), the other (fd 4) matches nothing.
    env = env_with()
    g.start("-l", f"127.0.0.1:{port}", "-l", f"127.0.0.1:{other}", *passed_on(env),
            str(GANTRY_BIN), *hello_args(port), env=env)
    g.wait_for_log("descriptor 4 from systemd is bound where no --socket or --http-socket "
                   "is; closing it", WAIT)
    assert listening_tcp_ports(g.pid) == {port}
    g.stop()


# -- sockets named for their protocol (LISTEN_FDNAMES) -------------------------------------

HELLO_APP = ("--module", "app:application", "--chdir", "examples/hello")


def socket_inode(pid: int, fd: int) -> str:
    return os.readlink(f"/proc/{pid}/fd/{fd}")  # "socket:[INODE]"


def ask(g, fdname: str) -> int:
    """One request in the protocol the socket's name says; its status."""
    if fdname.startswith("http"):
        with HttpConn(int(g.address.rpartition(":")[2])) as c:
            return c.request("GET", "/").status
    return g.request().status


@pytest.mark.parametrize("fdname, kind", [("http", "tcp"), ("uwsgi", "tcp"),
                                          ("uwsgi-internal", "unix")])
def test_a_named_socket_serves_with_no_option_and_is_kept_across_reloads(
        gantry, port, notify, tmp_path, fdname, kind):
    address = f"127.0.0.1:{port}" if kind == "tcp" else str(tmp_path / "gantry.sock")
    speaks = "HTTP" if fdname.startswith("http") else "uwsgi"
    g = start_activated(gantry, address, (*HELLO_APP, "--processes", "2"),
                        env_with(NOTIFY_SOCKET=notify.path), fdname=fdname,
                        kind=HttpGantry if speaks == "HTTP" else Gantry)
    g.wait_for_log(f"socket activation: descriptor 3 named {fdname}: {speaks} on {address}", WAIT)
    notify.wait_events(["READY"], "READY=1")
    ready = [f for _, f in notify.snapshot() if f.get("READY") == "1"][0]
    assert address in ready["STATUS"], ready
    assert ask(g, fdname) == 200
    passed = socket_inode(g.pid, 3)
    assert passed.startswith("socket:")

    os.kill(g.pid, signal.SIGHUP)
    notify.wait_events(["READY", "RELOADING", "READY"], "the reload")
    g.wait_for_log(f"socket activation: descriptor 3 kept across the reload: {speaks} on "
                   f"{address}", WAIT)
    assert ask(g, fdname) == 200
    # Never bound again: the reloaded master serves on the very socket systemd passed.
    assert socket_inode(g.pid, 3) == passed
    if kind == "tcp":
        assert listening_tcp_ports(g.pid) == {port}
    assert "closing it" not in g.log_text()

    g.stop()
    notify.wait_events(["READY", "RELOADING", "READY", "STOPPING"], "STOPPING=1")
    if kind == "unix":  # systemd's socket file: left for the next activation
        assert Path(address).exists()


def test_an_option_naming_a_named_socket_says_what_it_speaks(gantry, port):
    """The name says uwsgi, --http-socket names the address: the option wins, with a warning."""
    address = f"127.0.0.1:{port}"
    g = start_activated(gantry, address, (*HELLO_APP, "--http-socket", address), env_with(),
                        fdname="uwsgi", kind=HttpGantry)
    g.wait_for_log(f"--http-socket {address}: the socket systemd passed (descriptor 3)", WAIT)
    g.wait_for_log("descriptor 3 is named uwsgi (uwsgi), but --http-socket "
                   f"{address} names its address: it speaks HTTP", WAIT)
    assert ask(g, "http") == 200
    g.stop()


def run_with_listen_env(gantry, names: str, *args, pid_is_ours=True, fds=0):
    """gantry with LISTEN_* as systemd sets them: sh sets LISTEN_PID to its own pid, which
    exec keeps for gantry (or to another pid)."""
    listen_pid = "$$" if pid_is_ours else "1"
    script = (f"LISTEN_PID={listen_pid} LISTEN_FDS={fds} LISTEN_FDNAMES={names} "
              f'exec "$0" "$@"')
    return run_to_exit(Path("/bin/sh"), ["-c", script, str(GANTRY_BIN), *HELLO_APP, *args],
                       REPO, gantry.registry, env=env_with())


def test_check_config_accepts_no_option_when_a_named_socket_is_passed(gantry):
    code, out = run_with_listen_env(gantry, "http", "--check-config")
    assert code == 0, out
    assert "the configuration is good" in out
    # systemd's default name (the socket unit's) says no protocol: an option must name it.
    code, out = run_with_listen_env(gantry, "gantry.socket", "--check-config")
    assert code != 0 and "no listener" in out, out
    # Sockets passed to another process are not ours, whatever their names.
    code, out = run_with_listen_env(gantry, "http", "--check-config", pid_is_ours=False)
    assert code != 0 and "no listener" in out, out


def test_a_named_socket_that_never_comes_is_no_listener(gantry):
    code, out = run_with_listen_env(gantry, "uwsgi", fds=0)
    assert code != 0, out
    assert "no listener" in out and "FileDescriptorName" in out, out
