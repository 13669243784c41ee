"""Operations: privileges, the pidfile, log formats, the listen backlog."""

import grp
import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import uwsgi_client
from paths import APPS
from procs import read_stat, status_ids


def hello_args(port, *extra):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", *extra)


def test_uid_gid_drop_privileges_in_the_workers(gantry, port):
    if os.geteuid() != 0:
        pytest.skip("--uid/--gid can only drop privileges when gantry starts as root "
                    "(CI runs the tests as root)")
    nobody = pwd.getpwnam("nobody").pw_uid
    nogroup = grp.getgrnam("nogroup").gr_gid
    g = gantry.start(*hello_args(port, "--processes", "2", "--uid", "nobody",
                                 "--gid", "nogroup"))
    workers = g.wait_for_workers(2)
    for pid in workers:
        assert read_stat(pid).ppid == g.pid
        assert status_ids(pid, "Uid") == [nobody] * 4, f"worker {pid} runs with uids " \
                                                       f"{status_ids(pid, 'Uid')}"
        assert status_ids(pid, "Gid") == [nogroup] * 4, f"worker {pid} runs with gids " \
                                                        f"{status_ids(pid, 'Gid')}"
        assert 0 not in status_ids(pid, "Groups"), (
            f"worker {pid} kept root's supplementary groups: {status_ids(pid, 'Groups')}")
    for _ in range(5):
        resp = g.request()
        assert (resp.status, resp.body) == (200, b"Hello, World!\n")


def test_pidfile_holds_the_master_pid_and_is_removed(gantry, port, tmp_path):
    pidfile = tmp_path / "run" / "gantry.pid"
    pidfile.parent.mkdir()
    g = gantry.start(*hello_args(port, "--pidfile", pidfile))
    assert pidfile.read_text().strip() == str(g.pid)
    g.stop()
    assert not pidfile.exists()


def test_json_log_format(gantry, port):
    g = gantry.start(*hello_args(port, "--log-style", "json", "--processes", "2"))
    resp = g.request(path="/json-probe", query="a=1")
    assert resp.status == 200
    g.stop()  # the request line is surely written once gantry has exited

    lines = [line for line in g.log_text().splitlines() if line.strip()]
    assert lines, "no log lines at all"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}\n--- log ---\n{g.log_text()}")
        assert isinstance(records[-1], dict), line
    probes = [r for r in records if str(r.get("uri", "")).startswith("/json-probe")]
    assert len(probes) == 1, f"expected one request record for /json-probe:\n{g.log_text()}"
    probe = probes[0]
    missing = {"worker", "remote", "method", "uri", "status", "bytes", "ms"} - probe.keys()
    assert not missing, f"request record lacks {missing}: {probe}"
    assert probe["method"] == "GET"
    assert probe["status"] == 200
    assert probe["remote"] == "127.0.0.1"
    assert probe["worker"] in (1, 2)
    assert probe["bytes"] == len(resp.raw)
    assert isinstance(probe["ms"], (int, float)) and probe["ms"] >= 0
    assert any("spawned worker" in json.dumps(r) for r in records), "events are JSON lines too"


@pytest.mark.parametrize("disable", [False, True], ids=["default", "disable-logging"])
def test_request_lines_and_disable_logging(gantry, port, disable):
    extra = ("--disable-logging",) if disable else ()
    g = gantry.start(*hello_args(port, *extra))
    for n in range(3):
        assert g.request(path=f"/log-probe-{n}").status == 200
    g.stop()
    log = g.log_text()
    request_lines = [line for line in log.splitlines() if " => " in line]
    if disable:
        assert request_lines == [], f"--disable-logging still logged requests:\n{log}"
        assert "log-probe" not in log
        assert "spawned worker 1" in log, "other log lines stay"
    else:
        for n in range(3):
            assert re.search(rf"worker 1: 127\.0\.0\.1 GET /log-probe-{n} => 200, \d+ bytes "
                             rf"in \d+(\.\d+)? ms$", log, re.M), log


def listen_backlog(port):
    """The backlog of the listening socket on 127.0.0.1:port (ss's Send-Q), or None."""
    ss = shutil.which("ss") or shutil.which("ss", path="/usr/sbin:/sbin:/usr/bin:/bin")
    if not ss:
        return None
    out = subprocess.run([ss, "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                         timeout=10).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].endswith(f":{port}"):
            return int(fields[2])
    return None


def test_listen_above_somaxconn_warns_and_serves(gantry, port):
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    if somaxconn >= 65535:
        pytest.skip(f"net.core.somaxconn is {somaxconn}: no --listen value can exceed it")
    g = gantry.start(*hello_args(port, "--listen", "65535"))
    line = g.wait_for_log("somaxconn")
    assert "warning" in line and "65535" in line and str(somaxconn) in line, line
    assert g.request().status == 200
    backlog = listen_backlog(port)
    if backlog is not None:
        assert backlog == somaxconn, f"backlog {backlog}, expected the clamp to {somaxconn}"


def test_listen_sets_the_backlog(gantry, port):
    g = gantry.start(*hello_args(port, "--listen", "77"))
    assert g.request().status == 200
    backlog = listen_backlog(port)
    if backlog is None:
        pytest.skip("ss (iproute2) is not available to read the backlog")
    assert backlog == 77
    assert "somaxconn" not in g.log_text()


def test_json_log_keeps_an_app_traceback_in_one_record(gantry, port):
    g = gantry.start("--module", "app:application", "--chdir", APPS / "errors",
                     "--socket", f"127.0.0.1:{port}", "--log-style", "json",
                     allow_log_errors=True)
    assert g.request(path="/boom").status == 500
    g.stop()
    records = []
    for line in g.log_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}\n--- log ---\n{g.log_text()}")
    tracebacks = [r for r in records if "BoomError: boom from tests" in json.dumps(r)]
    assert tracebacks, f"no record carries the traceback:\n{g.log_text()}"
    assert "Traceback (most recent call last)" in json.dumps(tracebacks[0])


def test_json_log_keeps_the_harakiri_traceback_json(gantry, port):
    """The thread dump harakiri writes is log output too: JSON, like every other line."""
    g = gantry.start("--module", "app:application", "--chdir", APPS / "ops",
                     "--socket", f"127.0.0.1:{port}", "--log-style", "json", "--harakiri", "1",
                     allow_log_errors=True)
    [victim] = g.wait_for_workers(1)
    raw = g.send_raw(uwsgi_client.encode_packet(uwsgi_client.nginx_vars(path="/harakiri")),
                     timeout=10)
    assert not raw.data.startswith(b"HTTP/")
    g.wait_for_log(rf"\(pid {victim}\) killed by signal 9\b", regex=True)
    g.stop()
    log = g.log_text()
    assert "gantry_harakiri_victim_sleeps_here" in log, log
    not_json = []
    for line in log.splitlines():
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            not_json.append(line)
    assert not not_json, "lines that are not JSON objects:\n" + "\n".join(not_json)
