"""Running as root with --uid/--gid: reloads after the drop, a complete drop, the pidfile,
and unix sockets the front (another user) can reach.

Gantry must be started as root for these (CI runs the tests as root). The folders the
unprivileged master still reads after a reload (the pidfile's, the log's) live under a
folder that user can traverse: pytest's tmp_path is not (/tmp/pytest-of-root is 0700).
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

import uwsgi_client
from paths import APPS, HERE
from procs import is_running, status_ids, wait_until

APP = APPS / "privileges"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="--uid/--gid/--chown-socket can only change ids when gantry starts as root "
           "(CI runs the tests as root)")


@pytest.fixture
def open_dir():
    """A root-owned 0755 folder that any user may traverse, removed afterwards (ask for it
    before `gantry`, so that gantry has stopped by then)."""
    path = Path(tempfile.mkdtemp(prefix="gantry-priv-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def nobody():
    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def app_args(port, *extra):
    return ("--module", "app:application", "--chdir", APP, "--socket", f"127.0.0.1:{port}",
            "--processes", "2", *extra)


def run_dirs(base, run_owner=None):
    """base/run for the pidfile and base/log for --logto, root-owned 0755 unless
    `run_owner` (uid, gid) owns run/."""
    run, log = base / "run", base / "log"
    for d in (run, log):
        d.mkdir(mode=0o755)
    if run_owner:
        os.chown(run, *run_owner)
    return run / "gantry.pid", log / "gantry.log"


class Requests:
    """One thread sending uwsgi requests back to back until stopped; records failures."""

    def __init__(self, address):
        self.address = address
        self.ok = 0
        self.failures = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            try:
                resp = uwsgi_client.request(self.address, timeout=10)
                if resp.status == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"status {resp.status}")
            except (OSError, uwsgi_client.ProtocolError) as exc:
                self.failures.append(repr(exc))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(15)
        assert not self.thread.is_alive(), "the client thread hung"


def wait_reloaded(g, old, log):
    """Until two workers run, none of them from `old`, and every old one is gone."""
    def done():
        pids = g.worker_pids()
        return len(pids) == 2 and not set(pids) & set(old) and \
            not any(is_running(p) for p in old)
    assert wait_until(done, 15), (
        f"the reload never finished: workers {g.worker_pids()}, old {old}, master running: "
        f"{g.running}\n--- log ---\n{log.read_text()}")
    return g.worker_pids()


def error_lines(log):
    return [line for line in log.read_text().splitlines() if "] error:" in line]


def test_three_sighups_after_the_drop_keep_serving(open_dir, gantry, port, nobody):
    pidfile, log = run_dirs(open_dir)
    g = gantry.start(*app_args(port, "--uid", "nobody", "--gid", "nogroup",
                               "--pidfile", pidfile, "--logto", log))
    workers = g.wait_for_workers(2)
    with Requests(g.address) as load:
        for n in range(3):
            assert wait_until(lambda: load.ok > 50 * (n + 1), 10), "the client stalled"
            os.kill(g.pid, signal.SIGHUP)
            workers = wait_reloaded(g, workers, log)
            assert g.running, f"the master died in reload {n + 1}:\n{log.read_text()}"
            assert pidfile.read_text() == f"{g.pid}\n", f"pidfile after reload {n + 1}"
        after = load.ok
        assert wait_until(lambda: load.ok > after + 20, 10), "no requests after the reloads"
    assert load.failures == [], (f"{len(load.failures)} of {load.ok + len(load.failures)} "
                                 f"requests failed: {load.failures[:5]}\n{log.read_text()}")
    assert status_ids(g.pid, "Uid") == [nobody[0]] * 4
    assert status_ids(g.pid, "Groups") == [nobody[1]]
    text = log.read_text()
    assert len(re.findall(r"SIGHUP: reload", text)) == 3, text
    assert error_lines(log) == [], text
    assert "its folder is not writable by the user gantry now runs as" in text
    g.stop()
    # run/ is root's 0755: nobody cannot remove the file, says so, and leaves it correct.
    assert f"--pidfile {pidfile}: cannot remove it: Permission denied" in log.read_text()
    assert pidfile.read_text() == f"{g.pid}\n"


def test_sigusr2_and_app_reload_after_the_drop(open_dir, gantry, port, nobody):
    pidfile, log = run_dirs(open_dir, run_owner=nobody)
    g = gantry.start(*app_args(port, "--uid", "nobody", "--gid", "nogroup",
                               "--pidfile", pidfile, "--logto", log))
    workers = g.wait_for_workers(2)
    os.kill(g.pid, signal.SIGUSR2)
    workers = wait_reloaded(g, workers, log)
    resp = g.request(path="/reload")
    assert resp.status == 200 and json.loads(resp.body)["reload"] is True
    workers = wait_reloaded(g, workers, log)
    assert g.running and pidfile.read_text() == f"{g.pid}\n"
    ids = json.loads(g.request(path="/ids").body)
    assert ids["uids"] == [nobody[0]] * 3 and ids["gids"] == [nobody[1]] * 3, ids
    assert ids["pid"] in workers
    text = log.read_text()
    assert "SIGUSR2: chain reload" in text and len(re.findall("SIGHUP: reload", text)) == 1
    assert error_lines(log) == [], text
    g.stop()
    assert not pidfile.exists(), "run/ is nobody's: the pidfile is removed at exit"


def test_the_master_drops_root_groups_too(gantry, port, nobody):
    g = gantry.start(*app_args(port, "--uid", "nobody", "--gid", "nogroup"))
    for pid in [g.pid, *g.wait_for_workers(2)]:
        assert status_ids(pid, "Uid") == [nobody[0]] * 4
        assert status_ids(pid, "Gid") == [nobody[1]] * 4
        assert status_ids(pid, "Groups") == [nobody[1]], f"pid {pid} kept groups"


def test_a_numeric_uid_without_passwd_entry_needs_gid(gantry, port):
    code, out = gantry.run(*app_args(port, "--uid", "12345"))
    assert code == 2, out
    assert out.strip() == ("gantry: --uid 12345: no passwd entry for this id, so no group to "
                           "run as: give --gid"), out
    g = gantry.start(*app_args(port, "--uid", "12345", "--gid", "12345"))
    ids = json.loads(g.request(path="/ids").body)
    assert ids["uids"] == [12345] * 3 and ids["gids"] == [12345] * 3, ids
    assert ids["groups"] == [], f"a user with no entry has no supplementary groups: {ids}"
    assert status_ids(g.pid, "Groups") == []


@pytest.mark.parametrize("option, value, expected", [
    ("--uid", "4294967296", "--uid: expected a name or an id from 0 to 4294967294, "
                            "got '4294967296'"),
    ("--uid", "-1", "--uid: expected a name or an id from 0 to 4294967294, got '-1'"),
    ("--gid", "4294967295", "--gid: expected a name or an id from 0 to 4294967294, "
                            "got '4294967295'"),
    ("--uid", "no-such-user-here", "--uid no-such-user-here: no such user"),
    ("--gid", "no-such-group-here", "--gid no-such-group-here: no such group"),
    ("--chown-socket", "no-such-user-here", "--chown-socket no-such-user-here: no such user"),
], ids=["uid-wraps-to-root", "uid-negative", "gid-minus-one", "unknown-user", "unknown-group",
        "unknown-socket-owner"])
def test_bad_ids_are_configuration_errors(gantry, port, tmp_path, option, value, expected):
    code, out = gantry.run(*app_args(port, option, value, "--socket", tmp_path / "g.sock"))
    assert (code, out.strip()) == (2, f"gantry: {expected}"), out
    assert not (tmp_path / "g.sock").exists()


def test_pidfile_symlink_is_refused(gantry, port, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("root:secret-hash:19000:0:99999:7:::\n")
    pidfile = tmp_path / "gantry.pid"
    pidfile.symlink_to(victim)
    code, out = gantry.run(*app_args(port, "--pidfile", pidfile))
    assert code == 1, out
    assert f"--pidfile {pidfile}: is a symbolic link" in out, out
    assert victim.read_text() == "root:secret-hash:19000:0:99999:7:::\n"
    assert pidfile.is_symlink()


def test_pidfile_is_replaced_never_written_through(gantry, port, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    pidfile = run / "gantry.pid"
    os.link(victim, pidfile)  # a hard link: writing the path in place would change victim
    g = gantry.start(*app_args(port, "--pidfile", pidfile))
    assert pidfile.read_text() == f"{g.pid}\n"
    assert stat.S_IMODE(pidfile.stat().st_mode) == 0o644
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in run.iterdir()) == ["gantry.pid"], "no temporary file left"
    g.stop()
    assert not pidfile.exists() and victim.read_text() == "keep me\n"


def connect_as(user, group, sock):
    """Status of a request to unix socket `sock`, from a process running as user:group
    (or the error it got)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import uwsgi_client\n"
            "try:\n"
            "    print(uwsgi_client.request(sys.argv[2], timeout=5).status)\n"
            "except OSError as e:\n"
            "    print(type(e).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), str(sock)], user=user,
                         group=group, extra_groups=[], capture_output=True, text=True,
                         timeout=15)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_unix_socket_owner_mode_and_umask(open_dir, gantry, nobody):
    sock, log = open_dir / "gantry.sock", open_dir / "gantry.log"
    g = gantry.start("--module", "app:application", "--chdir", APP, "--socket", sock,
                     "--uid", "nobody", "--gid", "nogroup", "--chown-socket", "nobody:nogroup",
                     "--chmod-socket", "660", "--umask", "077", "--logto", log)
    st = os.lstat(sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert (st.st_uid, st.st_gid) == nobody
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600, "--umask 077 applies to the log file"
    assert connect_as("nobody", "nogroup", sock) == "200"
    # Neither the owner nor in the group: mode 660 keeps it out.
    assert connect_as(12345, 12345, sock) == "PermissionError"
    assert g.request().status == 200


def test_logfile_chown_lets_the_run_user_reopen_the_log(open_dir, gantry, port, nobody):
    """uWSGI's logfile-chown / logfile-chmod: the log file is the run user's, so SIGUSR1
    after an outside rename opens a new one (its folder is the run user's too)."""
    _, log = run_dirs(open_dir)
    os.chown(log.parent, *nobody)
    g = gantry.start(*app_args(port, "--uid", "nobody", "--gid", "nogroup", "--logto", log,
                               "--logfile-chown", "--logfile-chmod", "640"),
                     address=f"127.0.0.1:{port}")
    st = log.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (*nobody, 0o640)
    log.rename(log.with_suffix(".1"))
    os.kill(g.pid, signal.SIGUSR1)
    assert wait_until(log.exists, 5), "the run user could not open a new log file"
    assert log.stat().st_uid == nobody[0]
