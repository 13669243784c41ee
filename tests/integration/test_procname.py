"""Process titles: uWSGI's auto-procname, procname-prefix, procname-prefix-spaced,
procname-append, procname and procname-master, with "gantry" for "uWSGI".

Each title is read where `ps` and top read it: /proc/PID/cmdline (the title, one NUL) and
/proc/PID/comm (its first 15 bytes), for the master and for each child: two workers and the
task process of a Python cron call (tasks:overrun runs 3 s of every ~4).
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from paths import APPS, EXAMPLES
from procs import children, is_running, wait_until

CRON_APP = APPS / "cron"
HELLO = EXAMPLES / "hello"
COMM_LEN = 15  # TASK_COMM_LEN less its NUL


def cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().rstrip("\n")
    except OSError:
        return None


def shows(pid: int, title: str) -> bool:
    """`ps` shows `title` for `pid`: as its command line and, cut to 15 bytes, its comm."""
    return cmdline(pid) == title.encode() + b"\0" and comm(pid) == title.encode()[:COMM_LEN].decode()


def shown(pids) -> list[tuple[bytes | None, str | None]]:
    """What each process shows, for failure messages."""
    return [(cmdline(p), comm(p)) for p in pids]


def children_show(master: int, titles: list[str]) -> bool:
    """The master's children are exactly as many as `titles`, and each shows one of them."""
    pids = children(master)
    if len(pids) != len(titles):
        return False
    left = list(titles)
    for pid in pids:
        match = next((t for t in left if shows(pid, t)), None)
        if match is None:
            return False
        left.remove(match)
    return True


def write_cron_yaml(tmp_path: Path, port: int) -> Path:
    """The cron app with two workers and a Python call that keeps a task process running."""
    path = tmp_path / "gantry.yaml"
    path.write_text("\n".join([
        "gantry:",
        "  module: app:application",
        f"  chdir: {CRON_APP}",
        f"  socket: 127.0.0.1:{port}",
        "  processes: 2",
        "  cron:",
        '    - {schedule: "@every 1s", call: "tasks:overrun"}',
    ]) + "\n")
    return path


# option arguments -> (master, worker N, cron task)
CASES = {
    "auto-procname": (["--auto-procname"],
                      "gantry master", "gantry worker {}", "gantry cron"),
    "prefix-spaced": (["--procname-prefix-spaced", "shop"],
                      "shop gantry master", "shop gantry worker {}", "shop gantry cron"),
    "prefix-append": (["--procname-prefix", "<", "--procname-append", "> eu-1"],
                      "<gantry master> eu-1", "<gantry worker {}> eu-1", "<gantry cron> eu-1"),
    "procname-master": (["--procname-master", "shop boss"],
                        "shop boss", "gantry worker {}", "gantry cron"),
    "procname": (["--procname", "shop"], "shop", "shop", "shop"),
    "procname-and-master": (["--procname", "shop", "--procname-master", "boss",
                             "--procname-prefix-spaced", "eu"],
                            "eu boss", "eu shop", "eu shop"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_titles_of_master_workers_and_cron(gantry, port, tmp_path, case):
    args, master, worker, cron = CASES[case]
    g = gantry.start("--yaml", write_cron_yaml(tmp_path, port), *args,
                     address=f"127.0.0.1:{port}")
    assert wait_until(lambda: shows(g.pid, master), 5), (
        f"master: expected {master!r}, shows {shown([g.pid])}")
    # Both workers, and the cron call's task process once it runs.
    expected = [worker.format(1), worker.format(2), cron]
    assert wait_until(lambda: children_show(g.pid, expected), 10), (
        f"children: expected {expected}, show {shown(children(g.pid))}\n--- log ---\n"
        f"{g.log_text()}")
    assert g.request().status == 200


def test_titles_from_a_uwsgi_ini(gantry, port, tmp_path):
    """procname-prefix-spaced exists because an INI value cannot end with a space."""
    ini = tmp_path / "uwsgi.ini"
    ini.write_text("\n".join([
        "[uwsgi]",
        f"chdir = {HELLO}",
        "module = app:application",
        f"socket = 127.0.0.1:{port}",
        "processes = 2",
        "auto-procname = true",
        "procname-prefix-spaced = [shop]",
    ]) + "\n")
    g = gantry.start("--ini", ini, address=f"127.0.0.1:{port}")
    assert wait_until(lambda: shows(g.pid, "[shop] gantry master"), 5), shown([g.pid])
    assert wait_until(lambda: children_show(
        g.pid, ["[shop] gantry worker 1", "[shop] gantry worker 2"]), 5), (
        shown(children(g.pid)))


def test_a_title_longer_than_the_command_line_keeps_the_environment(gantry, port, tmp_path):
    """A title too long for argv's memory runs on into environ's, which gantry moved away
    first: the title is shown whole, and what gantry starts still gets its environment.
    The environment is PROCNAME_TEST first, right after argv, where the title lands."""
    out = tmp_path / "env-seen"
    config = tmp_path / "gantry.yaml"
    argv_len = len(str(gantry._binary())) + len(" --yaml ") + len(str(config)) + 1
    title = ("a master title longer than the command line: ").ljust(argv_len + 60, "m")
    config.write_text("\n".join([
        "gantry:",
        "  module: app:application",
        f"  chdir: {HELLO}",
        f"  socket: 127.0.0.1:{port}",
        f"  procname-master: \"{title}\"",
        "  cron:",
        f"    - {{schedule: \"@every 1s\", command: 'printf %s \"$PROCNAME_TEST\" > {out}'}}",
    ]) + "\n")
    value = "kept-" + "v" * 40
    env = {"PROCNAME_TEST": value, "PADDING": "p" * 400, "PATH": os.environ["PATH"]}
    # make test-sanitize's settings (report files, leak suppressions) go on after the rest.
    env.update({k: v for k, v in os.environ.items()
                if k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "PYTHONMALLOC")})
    g = gantry.start("--yaml", config, address=f"127.0.0.1:{port}", env=env)
    assert len(title) > len(b"\0".join(str(a).encode() for a in [g.binary, *g.args])) + 20
    assert wait_until(lambda: shows(g.pid, title), 5), shown([g.pid])
    assert wait_until(lambda: out.exists() and out.read_text() == value, 10), (
        f"the cron command saw {out.read_text() if out.exists() else None!r}\n{g.log_text()}")
    assert wait_until(lambda: children_show(g.pid, ["gantry worker 1"]), 5), (
        shown(children(g.pid)))


def wait_reloaded(g, old: list[int], count: int) -> list[int]:
    """As test_reload.py: until `count` workers run, none of them from `old`, and each old
    one exited with 0."""
    new = g.wait_for_workers(count, exclude=old, timeout=10)
    for pid in old:
        g.wait_for_log(rf"\(pid {pid}\) exited with code 0\b", regex=True, timeout=10)
        assert wait_until(lambda: not is_running(pid), 5), f"old worker {pid} still runs"
    return new


@pytest.mark.parametrize("sig,extra", [
    (signal.SIGHUP, ()),                 # the master re-executes itself
    (signal.SIGHUP, ("--lazy-apps",)),   # the master stays, the workers are replaced
    (signal.SIGUSR2, ()),                # chain reload, re-executing too
], ids=["sighup", "sighup-lazy-apps", "sigusr2-chain"])
def test_titles_survive_reloads(gantry, port, sig, extra):
    title_args = ["--auto-procname", "--procname-prefix-spaced", "shop",
                  "--procname-append", " [eu]"]
    g = gantry.start("--module", "app:application", "--chdir", HELLO,
                     "--socket", f"127.0.0.1:{port}", "--processes", "2", *extra, *title_args)
    master = g.pid
    workers = g.wait_for_workers(2)
    titles = ["shop gantry worker 1 [eu]", "shop gantry worker 2 [eu]"]
    for reload in range(2):
        assert wait_until(lambda: children_show(master, titles), 5), shown(children(master))
        os.kill(master, sig)
        workers = wait_reloaded(g, workers, 2)
        assert g.running and g.pid == master
        assert wait_until(lambda: shows(master, "shop gantry master [eu]"), 5), (
            f"after reload {reload + 1}: {shown([master])}")
        assert wait_until(lambda: children_show(master, titles), 5), (
            f"after reload {reload + 1}: {shown(children(master))}")
        for _ in range(4):
            resp = g.request()
            assert resp.status == 200 and resp.body == b"Hello, World!\n"
    if sig == signal.SIGHUP and not extra:
        assert len(re.findall(r"SIGHUP: reload", g.log_text())) == 2


def test_without_title_options_the_command_line_is_unchanged(gantry, port, tmp_path):
    g = gantry.start("--yaml", write_cron_yaml(tmp_path, port), address=f"127.0.0.1:{port}")
    argv = b"\0".join(str(a).encode() for a in [g.binary, *g.args]) + b"\0"
    name = g.binary.name[:COMM_LEN]

    def unchanged(pid):
        return cmdline(pid) == argv and comm(pid) == name

    assert unchanged(g.pid), shown([g.pid])
    # The workers and a cron task process too: three children, all as the master.
    assert wait_until(lambda: len(children(g.pid)) == 3 and all(map(unchanged, children(g.pid))),
                      10), f"expected {argv!r}, children show {shown(children(g.pid))}"


def test_print_config_writes_the_titles_back(gantry, tmp_path):
    args = ["--socket", ":3031", "--module", "app", "--auto-procname",
            "--procname-prefix-spaced", "shop", "--procname-append", " [eu]",
            "--procname", "all", "--procname-master", "boss"]
    code, out = gantry.run("--print-config", *args)
    assert code == 0, out
    for line in ['auto-procname: true', 'procname-prefix: "shop "', 'procname-append: " [eu]"',
                 'procname: "all"', 'procname-master: "boss"']:
        assert line in out.splitlines() or f"  {line}" in out.splitlines(), out
    assert "procname-prefix-spaced" not in out
    # Fed back, the same configuration.
    (tmp_path / "printed.yaml").write_text(out)
    code, again = gantry.run("--print-config", "--yaml", tmp_path / "printed.yaml")
    assert code == 0 and again == out, again
