"""uWSGI's --master-fifo: one-byte commands written to a named pipe the master reads
(`echo r > /run/app.fifo`). Each test writes with open(path, "w") as a shell's `echo` does and
waits by polling the log, the workers or the answers, never by sleeping.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess

import pytest

import uwsgi_client
from gantry_proc import STOP_TIMEOUT, SLOW
from paths import REPO
from procs import wait_until
from reload_app import SlowRequest, assert_replaced_one_at_a_time, copy_app, set_version

ANSWER_TIMEOUT = 15.0


def send(fifo, text):
    """What `printf TEXT > FIFO` does."""
    with open(fifo, "w") as f:
        f.write(text)


def answers(g, version):
    def check():
        try:
            return g.request(timeout=5).text.startswith(f"{version} pid=")
        except (OSError, uwsgi_client.ProtocolError):
            return False
    assert wait_until(check, ANSWER_TIMEOUT, interval=0.05), (
        f"{version} never answered\n--- log ---\n{g.log_text()}")


def start(gantry, port, app_dir, *extra, processes=1):
    return gantry.start("--module", "app:application", "--chdir", app_dir,
                        "--socket", f"127.0.0.1:{port}", "--processes", str(processes), *extra)


def wait_exit(g, expect_code=0):
    """The master exits by itself (q, Q): its code, after the wait."""
    g.registry.add_tree(g.proc.pid, "gantry master")
    try:
        code = g.proc.wait(STOP_TIMEOUT * SLOW)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gantry did not exit\n--- log ---\n{g.log_text()}")
    assert code == expect_code, g.log_text()
    return code


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
@pytest.mark.parametrize("byte", ["r", "R"])
def test_reload(gantry, port, tmp_path, byte, extra):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo, *extra, processes=2)
    master = g.pid
    old = g.wait_for_workers(2)
    answers(g, "v1")
    set_version(app_dir, "v2")
    send(fifo, byte + "\n")  # echo's newline is no command
    answers(g, "v2")
    g.wait_for_log(f"master-fifo {fifo}: '{byte}': reload")
    g.wait_for_workers(2, exclude=old)
    assert g.pid == master and g.running
    assert "is not a command" not in g.log_text()


def test_chain_reload_replaces_one_worker_at_a_time(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo, processes=2)
    old = g.wait_for_workers(2)
    set_version(app_dir, "v2")
    send(fifo, "c")
    answers(g, "v2")
    g.wait_for_log(f"master-fifo {fifo}: 'c': chain reload")
    g.wait_for_workers(2, exclude=old)
    assert_replaced_one_at_a_time(g.log_text().split("'c': chain reload", 1)[1])


def test_graceful_stop_finishes_in_flight_requests_and_removes_the_fifo(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo, processes=2)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o600
    request = SlowRequest(g, 1)
    send(fifo, "q")
    wait_exit(g, 0)
    assert request.join().response().status == 200, g.log_text()
    assert f"master-fifo {fifo}: 'q': graceful stop" in g.log_text()
    assert not fifo.exists(), "the FIFO must be removed at exit"


def test_immediate_stop(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo)
    request = SlowRequest(g, 5)
    send(fifo, "Q")
    wait_exit(g, 0)
    request.join()
    assert request.elapsed < 4, "Q must not wait for the 5 s request"
    assert b" 200 " not in request.raw, "the request was cut, not completed"
    assert f"master-fifo {fifo}: 'Q': immediate stop" in g.log_text()
    assert not fifo.exists()


def test_plus_and_minus_change_the_worker_count(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo, processes=2)
    two = g.wait_for_workers(2)
    send(fifo, "+")
    three = g.wait_for_workers(3)
    assert set(two) < set(three)
    g.wait_for_log(f"master-fifo {fifo}: '+': 2 -> 3 workers")
    send(fifo, "-")
    g.wait_for_log(f"master-fifo {fifo}: '-': 3 -> 2 workers")
    assert set(g.wait_for_workers(2)) < set(three)


def test_several_bytes_in_one_write_are_acted_on_in_order(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo, processes=2)
    send(fifo, "++-+")
    lines = [f"master-fifo {fifo}: {line}" for line in
             ("'+': 2 -> 3 workers", "'+': 3 -> 4 workers", "'-': 4 -> 3 workers",
              "'+': 3 -> 4 workers")]
    g.wait_for_log(lines[-1])
    g.wait_for_workers(4)
    log = g.log_text()
    at = 0
    for line in lines:
        at = log.find(line, at)
        assert at >= 0, f"{line!r} missing or out of order\n--- log ---\n{log}"
        at += 1


def test_logs_reopened_after_a_rename(gantry, port, tmp_path):
    logfile = tmp_path / "gantry.log"
    rotated = tmp_path / "gantry.log.1"
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo, "--logto", logfile,
              processes=2)
    assert g.request(path="/before").status == 200
    assert wait_until(lambda: "GET /before" in logfile.read_text(), 5), logfile.read_text()
    logfile.rename(rotated)  # what logrotate does
    send(fifo, "l")
    assert wait_until(logfile.exists, 5), "'l' did not create a new log file"
    g.requests_reach(logfile, workers=2)
    assert f"master-fifo {fifo}: 'l': reopening log files" in rotated.read_text()


def test_rotate_logs(gantry, port, tmp_path):
    logfile = tmp_path / "gantry.log"
    backup = tmp_path / "gantry.log.old"
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo, "--logto", logfile,
              "--log-backupname", backup)
    assert g.request(path="/before").status == 200
    assert wait_until(lambda: "GET /before" in logfile.read_text(), 5), logfile.read_text()
    send(fifo, "L")
    assert wait_until(backup.exists, 5), "'L' did not rotate the log file"
    assert "GET /before" in backup.read_text()

    g.requests_reach(logfile)


def test_workers_reload_keeps_the_master(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo, processes=2)
    master = g.pid
    old = g.wait_for_workers(2)
    send(fifo, "w")
    g.wait_for_workers(2, exclude=old)
    g.wait_for_log(f"master-fifo {fifo}: 'w': reloading the workers")
    assert "starting a fresh master" not in g.log_text()  # forked from this master
    assert g.pid == master
    answers(g, "v1")


def test_an_unknown_letter_is_logged_once_and_ignored(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo)
    one = g.wait_for_workers(1)
    send(fifo, "x")
    send(fifo, "xp+")  # 'p' is uWSGI's pause; '+' after them still counts
    g.wait_for_workers(2)
    log = g.log_text()
    known = "(it has r R c q Q + - l L w W C s 0-9)"
    assert log.count(f"master-fifo {fifo}: 'x' is not a command gantry has {known}") == 1, log
    assert log.count(f"master-fifo {fifo}: 'p' is not a command gantry has {known}") == 1, log
    assert one[0] in g.worker_pids()
    assert g.request().status == 200


def test_two_fifos(gantry, port, tmp_path):
    first, second = tmp_path / "a.fifo", tmp_path / "b.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", first, "--master-fifo", second)
    for fifo in (first, second):
        assert stat.S_ISFIFO(fifo.stat().st_mode)
        assert stat.S_IMODE(fifo.stat().st_mode) == 0o600
    send(second, "+")
    g.wait_for_workers(2)
    g.wait_for_log(f"master-fifo {second}: '+': 1 -> 2 workers")
    send(first, "1")  # uWSGI's switch to the 2nd FIFO: both are read anyway
    g.wait_for_log(f"master-fifo {first}: '1': the active master FIFO is now {second}")
    send(first, "+")
    g.wait_for_workers(3)
    send(first, "7")
    g.wait_for_log(f"master-fifo {first}: '7': there is no FIFO 7")
    g.stop(signal.SIGTERM)
    assert not first.exists() and not second.exists()


def test_a_fifo_left_behind_is_made_afresh(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    os.mkfifo(fifo, 0o666)
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo)
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o600
    send(fifo, "+")
    g.wait_for_workers(2)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_path_that_is_not_a_fifo_is_refused(gantry, port, tmp_path, kind):
    path = tmp_path / "master.fifo"
    if kind == "file":
        path.write_text("keep me")
    else:
        path.mkdir()
    code, out = gantry.run("--module", "app:application", "--chdir", "examples/hello",
                           "--socket", f"127.0.0.1:{port}", "--master-fifo", path)
    assert code == 2, out
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "--master-fifo" in lines[0] and str(path) in lines[0], out
    if kind == "file":
        assert path.read_text() == "keep me"


def test_a_reload_drops_a_fifo_and_leaves_a_regular_file_alone(gantry, port, tmp_path):
    """The new master re-reads its config (an INI here): a FIFO no longer named is removed;
    a new one whose path is a regular file is left alone, not deleted, and not read."""
    first, second = tmp_path / "a.fifo", tmp_path / "b.fifo"
    ini = tmp_path / "g.ini"
    ini.write_text(f"[uwsgi]\nmodule = app:application\nchdir = {REPO / 'examples/hello'}\n"
                   f"socket = 127.0.0.1:{port}\nmaster-fifo = {first}\nmaster-fifo = {second}\n")
    g = gantry.start("--ini", ini, address=f"127.0.0.1:{port}")
    ini.write_text(ini.read_text().replace(f"master-fifo = {second}\n", ""))
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_log("gantry ready: 1 worker(s) of generation 2", timeout=ANSWER_TIMEOUT)
    assert wait_until(lambda: not second.exists(), 5), "the dropped FIFO was not removed"
    send(first, "+")
    g.wait_for_workers(2)
    third = tmp_path / "c.fifo"
    third.write_text("keep me")
    with open(ini, "a") as f:
        f.write(f"master-fifo = {third}\n")
    g.allow_log_errors = True
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_log(f"--master-fifo {third}: exists and is a regular file; left alone",
                   timeout=ANSWER_TIMEOUT)
    g.wait_for_log("gantry ready: 1 worker(s) of generation 3", timeout=ANSWER_TIMEOUT)
    assert third.read_text() == "keep me"
    send(first, "+")  # the FIFO that stayed is still read
    g.wait_for_log(f"master-fifo {first}: '+'")


def test_the_fifo_works_after_a_sighup_reload(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo)
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_log("gantry ready: 1 worker(s) of generation 2", timeout=ANSWER_TIMEOUT)
    send(fifo, "+")
    g.wait_for_workers(2)
    g.wait_for_log(f"master-fifo {fifo}: '+': 1 -> 2 workers")
    g.stop(signal.SIGTERM)
    assert not fifo.exists()


def test_a_command_written_during_the_reexec_is_acted_on_once(gantry, port, tmp_path):
    """The new master imports the app (slowly here) before it reads the FIFO: what is
    written meanwhile waits in the pipe, handed over with it."""
    app_dir = copy_app(tmp_path, "slow_import")
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, app_dir, "--master-fifo", fifo)
    (app_dir / "SLOW").write_text("1")
    send(fifo, "r")
    g.wait_for_log(f"slow import started in pid {g.pid}")
    send(fifo, "+")  # the old master is gone, the new one not reading yet
    (app_dir / "SLOW").unlink()
    g.wait_for_workers(2, timeout=ANSWER_TIMEOUT)
    g.wait_for_log(f"master-fifo {fifo}: '+': 1 -> 2 workers")
    log = g.log_text()
    assert log.count(f"master-fifo {fifo}: 'r': reload") == 1, log
    assert log.count(f"master-fifo {fifo}: '+'") == 1, log
    assert log.index("slow import finished") < log.index("'+': 1 -> 2"), log
    assert g.request().status == 200


def test_s_logs_the_stats_document(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo, processes=2)
    pids = g.wait_for_workers(2)
    send(fifo, "s")
    line = g.wait_for_log(f"master-fifo {fifo}: 's': stats: {{")
    doc = json.loads(line[line.index("stats: ") + len("stats: "):])
    assert sorted(w["pid"] for w in doc["workers"]) == sorted(pids), line
    assert doc["sockets"][0]["name"] == f"127.0.0.1:{port}"


def test_C_goes_cheap_and_a_request_brings_the_pool_back(gantry, port, tmp_path):
    fifo = tmp_path / "master.fifo"
    g = start(gantry, port, "examples/hello", "--master-fifo", fifo)
    g.wait_for_workers(1)
    send(fifo, "C")
    g.wait_for_log(f"cheap mode (master-fifo {fifo}: 'C': cheap mode)")
    assert wait_until(lambda: not g.worker_pids(), ANSWER_TIMEOUT), g.log_text()
    assert g.request(timeout=ANSWER_TIMEOUT).status == 200
