"""Cron entries (--cron and YAML `cron:`), app timers, and the Python API (gantry, uwsgi,
uwsgidecorators).

The app in apps/cron writes what happened (which process, which worker, when) into
files under $GANTRY_TEST_OUT, the test's tmp_path: nothing is written into the repo.
"""

import json
import os
import re

import pytest

from paths import APPS
from procs import is_running, wait_until

CRON_APP = APPS / "cron"


def env_for(tmp_path):
    return {**os.environ, "GANTRY_TEST_OUT": str(tmp_path)}


def records(tmp_path, topic):
    """The lines a topic file holds, each split into fields."""
    path = tmp_path / topic
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines()]


def write_yaml(tmp_path, port, cron_lines, module="app:application", name="gantry.yaml"):
    path = tmp_path / name
    path.write_text("\n".join([
        "gantry:",
        f"  module: {module}",
        f"  chdir: {CRON_APP}",
        f"  socket: 127.0.0.1:{port}",
        "  cron:",
        *(f"    {line}" for line in cron_lines),
    ]) + "\n")
    return path


def started_pids(log, name):
    return [int(p) for p in re.findall(rf"cron '{re.escape(name)}': started \(pid (\d+)\)", log)]


def cron_args(port, *extra, module="app:application"):
    return ("--module", module, "--chdir", CRON_APP,
            "--socket", f"127.0.0.1:{port}", *extra)


# -- entries -------------------------------------------------------------------


def test_cron_option_runs_a_shell_command(gantry, port, tmp_path):
    target = tmp_path / "touched"
    command = f"touch {target} && echo cron-output-reaches-the-log"
    g = gantry.start(*cron_args(port, "--cron", f"@every 2s {command}"))

    assert wait_until(target.exists, 5), f"{target} not created within 5 s\n{g.log_text()}"
    line = g.wait_for_log(f"cron '{command}': exited with code 0 after", timeout=3)
    assert re.search(r"after \d+ ms$", line), line
    log = g.log_text()
    assert started_pids(log, command), log
    assert "cron-output-reaches-the-log" in log, f"the command's output goes to the log:\n{log}"
    assert g.request().status == 200


def test_yaml_call_entry_runs_in_a_process_forked_from_the_master(gantry, port, tmp_path):
    config = write_yaml(tmp_path, port, [
        '- {schedule: "@every 1s", call: "tasks:marker"}',
        '- "@every 1s echo yaml-string-entry-ran"',
    ])
    g = gantry.start("--yaml", config, address=f"127.0.0.1:{port}", env=env_for(tmp_path))

    assert wait_until(lambda: records(tmp_path, "marker"), 4), (
        f"the call: entry never ran\n{g.log_text()}")
    g.wait_for_log("yaml-string-entry-ran", timeout=3)
    g.wait_for_log("cron 'tasks:marker': exited with code 0 after", timeout=3)
    [pid, ppid, worker_id, app_imported] = records(tmp_path, "marker")[0]
    assert int(pid) in started_pids(g.log_text(), "tasks:marker")
    assert int(ppid) == g.pid, "a call: entry runs in a process forked from the master"
    assert worker_id == "0", "gantry.worker_id() is 0 outside the workers"
    assert app_imported == "True", "the preloaded app is already imported in the task"


def overrun_runs(tmp_path):
    """{pid: (start, end or None)} from the overrun records."""
    runs = {}
    for what, pid, when in records(tmp_path, "overrun"):
        start, end = runs.get(int(pid), (None, None))
        runs[int(pid)] = (float(when), end) if what == "start" else (start, float(when))
    return runs


def test_an_entry_still_running_when_due_again_is_skipped_not_doubled(gantry, port, tmp_path):
    config = write_yaml(tmp_path, port, ['- {schedule: "@every 1s", call: "tasks:overrun"}'])
    g = gantry.start("--yaml", config, address=f"127.0.0.1:{port}", env=env_for(tmp_path))

    # Each run takes 3 s and is due every second: the second one starts after ~4 s.
    assert wait_until(lambda: len(overrun_runs(tmp_path)) >= 2, 10), (
        f"no second run within 10 s: {overrun_runs(tmp_path)}\n{g.log_text()}")
    runs = overrun_runs(tmp_path)
    log = g.log_text()
    starts = started_pids(log, "tasks:overrun")
    assert sorted(starts) == sorted(runs), f"started {starts}, ran {sorted(runs)}\n{log}"
    assert len(starts) == 2, log

    (first_start, first_end), (second_start, _) = sorted(runs.values())
    assert first_end is not None and first_end <= second_start, (
        f"two runs overlapped: {runs}\n{log}")
    first_done = g.wait_for_log(r"cron 'tasks:overrun': exited with code 0 after (\d+) ms",
                                regex=True)
    assert int(re.search(r"after (\d+) ms", first_done).group(1)) >= 3000, first_done

    # The ticks due while the first run worked are logged as skipped, between the two starts.
    lines = log.splitlines()
    start_lines = [i for i, line in enumerate(lines) if "cron 'tasks:overrun': started" in line]
    skips = [i for i, line in enumerate(lines)
             if "cron 'tasks:overrun': still running from its last start; this run is skipped"
             in line]
    assert 2 <= len(skips) <= 3, f"{len(skips)} skipped runs in 3 s at 1 run/s:\n{log}"
    assert all(start_lines[0] < i < start_lines[1] for i in skips), log


def test_an_entry_over_its_timeout_is_killed(gantry, port, tmp_path):
    config = write_yaml(tmp_path, port, [
        '- {schedule: "@every 1s", call: "tasks:too_slow", timeout: 1}',
    ])
    g = gantry.start("--yaml", config, address=f"127.0.0.1:{port}", env=env_for(tmp_path))

    g.wait_for_log("cron 'tasks:too_slow': still running after its timeout of 1 s: killed",
                   timeout=6)
    [victim] = started_pids(g.log_text(), "tasks:too_slow")[:1]
    assert wait_until(lambda: not is_running(victim), 3), f"task {victim} survived its kill"
    done = g.wait_for_log(r"cron 'tasks:too_slow': killed by signal 9\b.* after (\d+) ms",
                          regex=True, timeout=3)
    took = int(re.search(r"after (\d+) ms", done).group(1))
    assert 1000 <= took < 3000, done
    ran = records(tmp_path, "too_slow")
    assert ["start", str(victim)] in [r[:2] for r in ran], ran
    assert ["end", str(victim)] not in [r[:2] for r in ran], f"the killed run finished: {ran}"


# -- the Python API ------------------------------------------------------------


def test_app_timers_run_in_task_processes(gantry, port, tmp_path):
    g = gantry.start(*cron_args(port, module="timers:application"), env=env_for(tmp_path))

    def fired_twice():
        return all(len(records(tmp_path, t)) >= 2 for t in ("gantry_timer", "uwsgi_timer"))

    assert wait_until(fired_twice, 5), (
        f"gantry.timer: {records(tmp_path, 'gantry_timer')}, "
        f"uwsgidecorators.timer: {records(tmp_path, 'uwsgi_timer')}\n{g.log_text()}")
    log = g.log_text()
    workers = set()
    for r in records(tmp_path, "postfork"):
        workers.add(int(r[1]))
    for pid, ppid, worker_id, *_ in records(tmp_path, "gantry_timer"):
        assert int(pid) in started_pids(log, "timers.gantry_tick"), log
        assert int(ppid) == g.pid and int(pid) not in workers and worker_id == "0"
    for pid, ppid, worker_id, signum_type in records(tmp_path, "uwsgi_timer"):
        assert int(pid) in started_pids(log, "timers.uwsgi_tick"), log
        assert int(ppid) == g.pid and int(pid) not in workers and worker_id == "0"
        assert signum_type == "int", "uwsgidecorators functions receive the signal number"
    assert "raised" not in log, log


def postfork_records(tmp_path):
    return {int(pid): (int(worker_id), int(ppid))
            for worker_id, pid, ppid in records(tmp_path, "postfork")}


def test_postfork_runs_once_in_each_worker_with_its_worker_id(gantry, port, tmp_path):
    g = gantry.start(*cron_args(port, "--processes", "3"), env=env_for(tmp_path))
    workers = g.wait_for_workers(3)
    assert wait_until(lambda: len(records(tmp_path, "postfork")) >= 3, 5)
    lines = records(tmp_path, "postfork")
    seen = postfork_records(tmp_path)
    assert len(lines) == 3, f"@postfork ran {len(lines)} times for 3 workers: {lines}"
    assert sorted(seen) == workers, f"postfork in {sorted(seen)}, workers are {workers}"
    assert sorted(w for w, _ in seen.values()) == [1, 2, 3], seen
    assert all(ppid == g.pid for _, ppid in seen.values()), seen
    for pid, (worker_id, _) in seen.items():
        assert re.search(rf"spawned worker {worker_id} \(pid {pid},", g.log_text()), (
            f"postfork said worker {worker_id} in pid {pid}:\n{g.log_text()}")


def test_api_seen_from_a_request(gantry, port, tmp_path):
    g = gantry.start(*cron_args(port, "--processes", "3"), env=env_for(tmp_path))
    g.wait_for_workers(3)
    assert wait_until(lambda: len(records(tmp_path, "postfork")) >= 3, 5)
    ids = {pid: worker_id for pid, (worker_id, _) in postfork_records(tmp_path).items()}
    for n in range(6):
        resp = g.request(path="/api")
        assert resp.status == 200, resp
        api = json.loads(resp.body)
        assert api["numproc"] == 3 and api["uwsgi_numproc"] == 3, api
        assert api["masterpid"] == g.pid and api["uwsgi_masterpid"] == g.pid, api
        assert api["worker_id"] == api["uwsgi_worker_id"] == ids[api["pid"]], (api, ids)


def test_reload_called_from_a_request_replaces_the_workers(gantry, port, tmp_path):
    g = gantry.start(*cron_args(port, "--processes", "2"), env=env_for(tmp_path))
    old = g.wait_for_workers(2)
    resp = g.request(path="/reload")
    assert resp.status == 200 and json.loads(resp.body)["reload"] is True, resp

    g.wait_for_log("SIGHUP: reload")
    new = g.wait_for_workers(2, exclude=old, timeout=10)
    for pid in old:
        assert wait_until(lambda: not is_running(pid), 5), f"old worker {pid} still runs"
    assert g.running
    api = json.loads(g.request(path="/api").body)
    assert api["pid"] in new and api["masterpid"] == g.pid, (api, new)
    # The new generation ran its @postfork hooks too.
    assert wait_until(lambda: set(new) <= set(postfork_records(tmp_path)), 5)
    assert sorted(postfork_records(tmp_path)[p][0] for p in new) == [1, 2]


# -- bad schedules ---------------------------------------------------------------


@pytest.mark.parametrize("entry, detail", [
    ("61 * * * * true", "minute field '61'"),
    ("*/0 * * * * true", "minute field '*/0'"),
    ("@every 10x true", "@every '10x'"),
    ("@every 2s", "missing command"),
])
def test_bad_cron_option_exits_2_naming_it(gantry, port, entry, detail):
    code, out = gantry.run(*cron_args(port, "--cron", "@every 1s true", "--cron", entry))
    assert code == 2, f"exit {code}\n{out}"
    assert "--cron" in out and detail in out and entry in out, out
    assert "spawned worker" not in out, out


@pytest.mark.parametrize("entry, detail", [
    ('- {schedule: "*/0 * * * *", command: "true"}', "minute field '*/0'"),
    ('- "61 * * * * true"', "minute field '61'"),
    ('- {schedule: "@every 1s", call: "tasks:marker", timeout: 1, extra: 2}',
     "unknown cron key 'extra'"),
], ids=["map", "string", "unknown-key"])
def test_bad_yaml_cron_entry_exits_2_naming_its_line(gantry, port, tmp_path, entry, detail):
    # The bad entry is the second of the list, on line 7 of the file.
    config = write_yaml(tmp_path, port, ['- "@every 1s true"', entry])
    assert config.read_text().splitlines()[6].strip() == entry
    code, out = gantry.run("--yaml", config)
    assert code == 2, f"exit {code}\n{out}"
    assert re.search(rf"{re.escape(str(config))}:7:\d+: cron: ", out), (
        f"the message should name {config.name}:7 (the bad entry):\n{out}")
    assert detail in out, out
