"""Reload triggers as uWSGI configurations use them: touch files (--touch-reload,
--touch-chain-reload, --touch-workers-reload, --touch-logreopen, --touch-logrotate), the
development reloader (--py-autoreload) and hook-master-start's graceful SIGINT.

Each test edits the app in a temporary folder (reload_app.py), touches a file the way tools
do (create, utime, rename over, a burst of writes), and polls until the new code answers or
the log says what happened.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

import uwsgi_client
from procs import wait_until
from reload_app import SlowRequest, assert_replaced_one_at_a_time, copy_app, set_version

ANSWER_TIMEOUT = 15.0
# How long to watch for a second, unwanted action: the debounce's quiet period (0.2 s) and the
# once-a-second look that backs inotify up, with room to spare. Only checks that something
# does NOT happen wait a fixed time.
NOTHING_MORE_WINDOW = 2.0


def touch(path, how):
    """Touch `path` as a tool would: make it, set its times, or rename a new file over it."""
    if how == "create":
        assert not path.exists()
        path.write_text("")
    elif how == "utime":
        os.utime(path)
    elif how == "rename":
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(str(time.monotonic_ns()))
        os.replace(tmp, path)
    else:
        raise AssertionError(how)


def answers(g, version):
    """Polls until the app answers with `version`; fails with the log otherwise."""
    def check():
        try:
            return g.request(timeout=5).text.startswith(f"{version} pid=")
        except (OSError, uwsgi_client.ProtocolError):
            return False
    assert wait_until(check, ANSWER_TIMEOUT, interval=0.05), (
        f"{version} never answered\n--- log ---\n{g.log_text()}")


def count(g, pattern):
    return len(re.findall(pattern, g.log_text()))


def start(gantry, port, app_dir, *extra, processes=1):
    return gantry.start("--module", "app:application", "--chdir", app_dir,
                        "--socket", f"127.0.0.1:{port}", "--processes", str(processes), *extra)


@pytest.mark.parametrize("how", ["create", "utime", "rename"])
@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_touch_reload(gantry, port, tmp_path, how, extra):
    app_dir = copy_app(tmp_path)
    trigger = tmp_path / "reload.trigger"
    if how != "create":
        trigger.write_text("")
    g = start(gantry, port, app_dir, "--touch-reload", trigger, *extra, processes=2)
    master = g.pid
    answers(g, "v1")

    set_version(app_dir, "v2")
    touch(trigger, how)
    answers(g, "v2")
    assert g.pid == master and g.running
    g.wait_for_log(f"touch-reload {trigger} changed: reload")
    assert count(g, r"touch-reload \S+ changed") == 1


def test_touch_reload_sees_a_config_map_swap(gantry, port, tmp_path):
    """A Kubernetes config map: the file is a link through `..data`, itself a link to a
    timestamped folder; an update makes a new folder and renames a new `..data` over the old
    one. No event names the file itself."""
    app_dir = copy_app(tmp_path)
    volume = tmp_path / "config"
    (volume / "..2026_v1").mkdir(parents=True)
    (volume / "..2026_v1" / "reload").write_text("1")
    (volume / "..data").symlink_to("..2026_v1")
    (volume / "reload").symlink_to("..data/reload")
    g = start(gantry, port, app_dir, "--touch-reload", volume / "reload")
    answers(g, "v1")

    set_version(app_dir, "v2")
    (volume / "..2026_v2").mkdir()
    (volume / "..2026_v2" / "reload").write_text("2")
    (volume / "..data_tmp").symlink_to("..2026_v2")
    os.replace(volume / "..data_tmp", volume / "..data")
    answers(g, "v2")
    assert count(g, r"touch-reload \S+ changed") == 1


def test_touch_reload_survives_its_folder_removed_and_made_again(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    trigger = folder / "reload"
    g = start(gantry, port, app_dir, "--touch-reload", trigger)
    folder.rmdir()
    g.wait_for_log(f"folder {folder} is gone; looking once a second instead")
    folder.mkdir()
    g.wait_for_log(f"watching folder {folder} again")
    set_version(app_dir, "v2")
    touch(trigger, "create")
    answers(g, "v2")
    assert count(g, r"touch-reload \S+ changed") == 1


def test_touch_chain_reload_replaces_one_worker_at_a_time(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    trigger = tmp_path / "chain.trigger"
    g = start(gantry, port, app_dir, "--touch-chain-reload", trigger, processes=2)
    old = g.wait_for_workers(2)
    set_version(app_dir, "v2")
    touch(trigger, "create")
    answers(g, "v2")
    g.wait_for_log(f"touch-chain-reload {trigger} changed: chain reload")
    g.wait_for_workers(2, exclude=old)
    assert_replaced_one_at_a_time(g.log_text().split("chain reload", 1)[1])


@pytest.mark.parametrize("extra,version", [((), "v1"), (("--lazy-apps",), "v2")],
                         ids=["preload", "lazy-apps"])
def test_touch_workers_reload(gantry, port, tmp_path, extra, version):
    """New workers, the master untouched: with the app preloaded they fork the master's app
    as it is (uWSGI's meaning too); with --lazy-apps they import the new code."""
    app_dir = copy_app(tmp_path)
    trigger = tmp_path / "workers.trigger"
    trigger.write_text("")
    g = start(gantry, port, app_dir, "--touch-workers-reload", trigger, *extra, processes=2)
    old = g.wait_for_workers(2)
    set_version(app_dir, "v2")
    touch(trigger, "utime")
    g.wait_for_log(f"touch-workers-reload {trigger} changed: reloading the workers")
    new = g.wait_for_workers(2, exclude=old)
    answers(g, version)
    resp = g.request()
    assert int(resp.text.split("pid=")[1]) in new
    assert "starting a fresh master" not in g.log_text()


@pytest.mark.parametrize("option", ["--touch-logreopen", "--touch-logrotate"])
def test_touch_reopens_the_log_file(gantry, port, tmp_path, option):
    logfile = tmp_path / "gantry.log"
    rotated = tmp_path / "gantry.log.1"
    trigger = tmp_path / "logs.trigger"
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--logto", logfile, option, trigger)
    assert g.request(path="/before").status == 200
    assert wait_until(lambda: "GET /before" in logfile.read_text(), 5), logfile.read_text()
    logfile.rename(rotated)  # what logrotate does, then it touches the trigger
    touch(trigger, "create")
    assert wait_until(logfile.exists, 5), f"{option} did not reopen the log file"
    # Said before the reopen, as for SIGUSR1: the line ends the rotated file.
    said = "reopening log files" if option == "--touch-logreopen" else "rotating the log file"
    assert f"{option[2:]} {trigger} changed: {said}" in rotated.read_text()
    g.requests_reach(logfile)


def test_a_burst_of_touches_reloads_once(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    trigger = tmp_path / "reload.trigger"
    trigger.write_text("")
    g = start(gantry, port, app_dir, "--touch-reload", trigger)
    set_version(app_dir, "v2")
    for n in range(20):  # an editor's save, a deploy script touching in a loop
        touch(trigger, ("utime", "rename")[n % 2])
    answers(g, "v2")
    g.wait_for_log("gantry ready: 1 worker(s) of generation 2")
    time.sleep(NOTHING_MORE_WINDOW)
    assert count(g, r"touch-reload \S+ changed") == 1, g.log_text()
    assert "generation 3" not in g.log_text()


def test_a_touch_while_the_new_master_imports_is_acted_on_once(gantry, port, tmp_path):
    """A reload re-executes the master, which then imports the app (slowly here) before it
    watches anything: a file deleted and made again meanwhile is neither lost (the new master
    compares it with the stamp the old one handed over) nor acted on twice."""
    app_dir = copy_app(tmp_path, "slow_import")
    trigger = tmp_path / "reload.trigger"
    trigger.write_text("")
    g = start(gantry, port, app_dir, "--touch-reload", trigger)
    (app_dir / "SLOW").write_text("1")
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_log(f"slow import started in pid {g.pid}")
    trigger.unlink()  # a deploy replacing the file while no one watches it
    trigger.write_text("new")
    (app_dir / "SLOW").unlink()  # the reload it causes imports at once
    g.wait_for_log("gantry ready: 1 worker(s) of generation 3", timeout=ANSWER_TIMEOUT)
    assert g.request().status == 200
    time.sleep(NOTHING_MORE_WINDOW)
    log = g.log_text()
    assert count(g, r"SIGHUP: reload") == 1, log
    assert count(g, r"touch-reload \S+ changed") == 1, log
    assert log.index("slow import finished") < log.index("touch-reload"), log
    assert "generation 4" not in log


def test_a_file_in_a_missing_folder_is_refused(gantry, port, tmp_path):
    code, out = gantry.run("--module", "app:application", "--chdir", "examples/hello",
                           "--socket", f"127.0.0.1:{port}",
                           "--touch-reload", tmp_path / "no-such-folder" / "reload")
    assert code == 2, out
    assert "--touch-reload" in out and "no-such-folder" in out and "does not exist" in out, out


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_py_autoreload_serves_edited_code(gantry, port, tmp_path, extra):
    app_dir = copy_app(tmp_path)
    g = start(gantry, port, app_dir, "--py-autoreload", "1", *extra, processes=2)
    answers(g, "v1")
    set_version(app_dir, "v2")
    answers(g, "v2")
    g.wait_for_log(f"py-autoreload: {app_dir / 'app.py'} was modified; reloading")
    set_version(app_dir, "v3")  # and again: the new worker 1 watches too
    answers(g, "v3")
    assert count(g, r"py-autoreload: \S+ was modified") == 2, g.log_text()


def slow_request_during(g, sig):
    """Sends SIGNAL to the master while a 2 s request is in flight; returns the request (its
    raw bytes, or the error) and how long the master took to stop."""
    request = SlowRequest(g, 2)
    signalled = time.monotonic()
    g.stop(sig, expect_code=0)
    return request.join(), time.monotonic() - signalled


def test_hook_makes_sigint_graceful(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    g = start(gantry, port, app_dir,
              "--hook-master-start", "unix_signal:15 gracefully_kill_them_all",
              "--hook-master-start", "unix_signal:2 gracefully_kill_them_all")
    request, _ = slow_request_during(g, signal.SIGINT)
    assert b" 200 " in request.raw, f"the request was cut: {request.error!r}\n{g.log_text()}"
    assert "SIGINT: graceful stop" in g.log_text()


def test_without_the_hook_sigint_stops_at_once(gantry, port, tmp_path):
    app_dir = copy_app(tmp_path)
    g = start(gantry, port, app_dir,
              "--hook-master-start", "unix_signal:15 gracefully_kill_them_all")
    request, took = slow_request_during(g, signal.SIGINT)
    assert b" 200 " not in request.raw, "the request completed"
    assert took < 1.5, f"SIGINT waited {took:.1f}s"
    assert "SIGINT: stopping now" in g.log_text()


def test_other_hooks_are_refused_with_advice(gantry, port):
    code, out = gantry.run("--module", "app:application", "--chdir", "examples/hello",
                           "--socket", f"127.0.0.1:{port}", "--hook-master-start", "exec:touch /tmp/x")
    assert code == 2, out
    assert "hook-master-start" in out and "ExecStartPre" in out, out


def test_touch_logrotate_rotates_the_log_file_itself(gantry, port, tmp_path):
    """Without an outside logrotate, touch-logrotate renames the file (to --log-backupname)
    and every process writes to a new one, as uWSGI's touch-logrotate does."""
    logfile = tmp_path / "gantry.log"
    backup = tmp_path / "gantry.log.old"
    trigger = tmp_path / "rotate.trigger"
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--logto", logfile,
                     "--log-backupname", backup, "--touch-logrotate", trigger)
    assert g.request(path="/before").status == 200
    assert wait_until(lambda: "GET /before" in logfile.read_text(), 5), logfile.read_text()
    touch(trigger, "create")
    assert wait_until(backup.exists, 5), "touch-logrotate did not rotate the log file"
    assert "GET /before" in backup.read_text()
    assert g.request(path="/after").status == 200
    assert wait_until(lambda: logfile.exists() and "GET /after" in logfile.read_text(), 5)
    assert "GET /after" not in backup.read_text()
