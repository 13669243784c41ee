"""uWSGI's request-log options against a real gantry: conditional logging with
disable-logging (log-4xx, log-5xx, log-slow), log-x-forwarded-for, log-date, log-format
templates with every variable gantry knows, and rotation by size (log-maxsize)."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

import uwsgi_client
from http_client import HttpConn, HttpGantry
from paths import APPS, REPO
from procs import wait_until

APP_DIR = APPS / "reqlog"
MiB = 1 << 20


def app_args(port, *extra):
    return ("--module", "app:application", "--chdir", APP_DIR,
            "--socket", f"127.0.0.1:{port}", *extra)


def stopped_log(g) -> str:
    g.stop()  # every line is surely written once gantry has exited
    return g.log_text()


def request_lines(log: str, marker: str = "/probe") -> list[str]:
    return [line for line in log.splitlines() if marker in line]


# -- conditional logging -------------------------------------------------------------


@pytest.mark.parametrize("flags, logged", [
    (("--log-4xx",), {404}),
    (("--log-5xx",), {503}),
    (("--log-4xx", "--log-5xx"), {404, 503}),
    ((), set()),
])
def test_disable_logging_keeps_only_the_chosen_statuses(gantry, port, flags, logged):
    g = gantry.start(*app_args(port, "--disable-logging", *flags), allow_log_errors=True)
    for status in (200, 302, 404, 503):
        assert g.request(path=f"/probe/status/{status}").status == status
    assert g.request(path="/fail").status == 500
    log = stopped_log(g)
    seen = {int(m.group(1)) for line in request_lines(log)
            if (m := re.search(r"=> (\d{3}),", line))}
    assert seen == logged, f"request lines for {seen}, expected {logged}:\n{log}"
    # An app failure is an error line, never a request line: no option hides it.
    assert "reqlog app fails on purpose" in log, log


def test_log_slow_keeps_the_slow_requests(gantry, port):
    g = gantry.start(*app_args(port, "--disable-logging", "--log-slow", "150"))
    g.request(path="/probe/sleep/300")
    g.request(path="/probe/sleep/0")
    log = stopped_log(g)
    lines = request_lines(log)
    assert len(lines) == 1 and "/probe/sleep/300" in lines[0], log
    took = float(re.search(r"in ([\d.]+) ms", lines[0]).group(1))
    assert took >= 150


def test_without_disable_logging_every_request_is_logged(gantry, port):
    g = gantry.start(*app_args(port, "--log-5xx", "--log-slow", "1000"))
    for status in (200, 404):
        g.request(path=f"/probe/status/{status}")
    assert len(request_lines(stopped_log(g))) == 2


# -- the client's address ------------------------------------------------------------


@pytest.mark.parametrize("flag, expected", [
    ((), "127.0.0.1"),
    (("--log-x-forwarded-for",), "203.0.113.7"),
])
def test_log_x_forwarded_for_names_the_first_address(gantry, port, flag, expected):
    g = gantry.start(*app_args(port, *flag))
    g.request(path="/probe/xff", headers={"X-Forwarded-For": " 203.0.113.7 , 10.0.0.1"})
    g.request(path="/probe/plain")
    lines = request_lines(stopped_log(g))
    assert f": {expected} GET /probe/xff " in lines[0], lines
    assert ": 127.0.0.1 GET /probe/plain " in lines[1], lines  # no header: REMOTE_ADDR


# -- log-date ------------------------------------------------------------------------


def test_log_date_format_starts_gantry_lines(gantry, port):
    g = gantry.start(*app_args(port, "--log-date", "%Y/%m/%d %H:%M"))
    line = g.wait_for_log("gantry ready")
    assert re.match(r"^\[\d{4}/\d\d/\d\d \d\d:\d\d\] \[pid \d+\] info: gantry ready", line), line


def test_log_date_as_a_flag_keeps_the_default_time(gantry, port):
    g = gantry.start(*app_args(port, "--log-date", "true"))
    line = g.wait_for_log("gantry ready")
    assert re.match(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[pid \d+\]", line), line


# -- log-format ----------------------------------------------------------------------

NAMES = ["addr", "user", "method", "uri", "proto", "host", "referer", "uagent", "status",
         "size", "rsize", "hsize", "headers", "cl", "vars", "pktsize", "modifier1",
         "modifier2", "msecs", "micros", "secs", "time", "tmsecs", "tmicros", "ltime", "ftime",
         "ctime", "epoch", "pid", "wid", "core", "vsz", "rss", "vszM", "rssM"]
TEMPLATE = "RL|" + "|".join(f"{n}=%({n})" for n in NAMES) + "|trace=%(var.HTTP_X_TRACE)"
LTIME = r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}"
CTIME = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}"
SENT_HEADERS = {"Referer": "http://ref.example/page", "User-Agent": "rl-agent/2",
                "X-Forwarded-For": "198.51.100.9, 10.1.1.1", "X-Trace": "t-42"}


def template_fields(log: str) -> dict[str, str]:
    lines = [line for line in log.splitlines() if line.startswith("RL|")]
    assert len(lines) >= 1, log
    fields = dict(part.split("=", 1) for part in lines[-1].split("|")[1:])
    assert set(fields) == set(NAMES) | {"trace"}, lines[-1]
    return fields


def check_times(f: dict[str, str], before: float, after: float) -> None:
    assert int(f["msecs"]) == int(f["micros"]) // 1000
    assert re.fullmatch(r"\d+\.\d{6}", f["secs"]) and abs(float(f["secs"]) * 1e6 - int(f["micros"])) < 1
    assert before - 1 <= int(f["time"]) <= after
    assert int(f["tmsecs"]) // 1000 == int(f["time"])
    assert int(f["tmicros"]) // 1000 == int(f["tmsecs"])
    assert int(f["time"]) <= int(f["epoch"]) <= after + 1
    assert re.fullmatch(LTIME, f["ltime"]) and f["ftime"] == f["ltime"]
    assert re.fullmatch(CTIME, f["ctime"])
    assert time.strftime("%d/%b/%Y:%H:%M:%S", time.localtime(int(f["time"]))) == f["ltime"][:20]


def check_process(f: dict[str, str], workers: list[int]) -> None:
    assert int(f["pid"]) in workers and f["wid"] == "1" and f["core"] == "0"
    assert int(f["vsz"]) > int(f["rss"]) > MiB
    assert int(f["vszM"]) == int(f["vsz"]) // MiB and int(f["rssM"]) == int(f["rss"]) // MiB


def test_log_format_writes_every_variable_on_the_uwsgi_socket(gantry, port):
    g = gantry.start(*app_args(port, "--log-format", TEMPLATE, "--log-x-forwarded-for"))
    body = b"hello"
    pairs = uwsgi_client.nginx_vars("POST", "/tpl", "q=1", body, SENT_HEADERS)
    pairs.append((b"REMOTE_USER", b"alice"))
    before = time.time()
    resp = uwsgi_client.parse_response(
        uwsgi_client.send_raw(g.address, uwsgi_client.encode_packet(pairs, body)).data)
    after = time.time()
    workers = g.worker_pids()
    f = template_fields(stopped_log(g))
    head_size = resp.raw.index(b"\r\n\r\n") + 4
    assert f == f | {
        "addr": "198.51.100.9", "user": "alice", "method": "POST", "uri": "/tpl?q=1",
        "proto": "HTTP/1.1", "host": "127.0.0.1", "referer": "http://ref.example/page",
        "uagent": "rl-agent/2", "status": "200", "size": str(len(resp.raw)),
        "hsize": str(head_size), "rsize": str(len(resp.body)),
        "headers": str(len(resp.headers)), "cl": "5", "vars": str(2 * len(pairs)),
        "pktsize": str(len(uwsgi_client.encode_vars(pairs))), "modifier1": "0",
        "modifier2": "0", "trace": "t-42"}, f
    check_times(f, before, after)
    check_process(f, workers)


def test_log_format_on_the_http_socket(gantry, port):
    g = HttpGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)
    g.start("--module", "app:application", "--chdir", APP_DIR, "--http-socket",
            f"127.0.0.1:{port}", "--log-format", TEMPLATE, "--log-x-forwarded-for",
            address=f"127.0.0.1:{port}")
    before = time.time()
    with HttpConn(port) as c:
        resp = c.request("GET", "/tpl?q=2", headers=SENT_HEADERS)
    after = time.time()
    workers = g.worker_pids()
    f = template_fields(stopped_log(g))
    head_size = len(resp.raw) + 4  # the head without its blank line
    assert f == f | {
        "addr": "198.51.100.9", "user": "-", "method": "GET", "uri": "/tpl?q=2",
        "proto": "HTTP/1.1", "host": "127.0.0.1", "referer": "http://ref.example/page",
        "uagent": "rl-agent/2", "status": "200", "hsize": str(head_size),
        "rsize": str(len(resp.body)), "size": str(head_size + len(resp.body)),
        "headers": str(len(resp.headers)), "cl": "0", "modifier1": "0", "trace": "t-42"}, f
    check_times(f, before, after)
    check_process(f, workers)


def test_log_format_escapes_request_bytes(gantry, port):
    g = gantry.start(*app_args(port, "--log-format", "RL|%(uri)|%(var.HTTP_X_TRACE)|"))
    g.request(path="/probe", headers={"X-Trace": "a\x1bb"})
    assert "RL|/probe|a\\x1bb|" in stopped_log(g)


def test_log_format_with_json_style_is_the_message(gantry, port):
    g = gantry.start(*app_args(port, "--log-format", "%(method) %(uri) %(status)",
                               "--log-style", "json"))
    g.request(path="/probe/j")
    assert '"message":"GET /probe/j 200"' in stopped_log(g)


@pytest.mark.parametrize("template, named", [
    ("%(addr) %(bogus)", "unknown variable %(bogus)"),
    ("%(switches)", "%(switches) is not supported"),
    ("%(status", "unclosed %("),
])
def test_log_format_refuses_what_gantry_cannot_know(gantry, port, template, named):
    for extra in ((), ("--check-config",)):
        code, out = gantry.run(*app_args(port, "--log-format", template, *extra))
        assert code == 2, out
        assert "log-format" in out and named in out, out


@pytest.mark.parametrize("value", ["json", "uwsgi", "text"])
def test_old_log_format_values_still_choose_the_style(gantry, port, value):
    g = gantry.start(*app_args(port, "--log-format", value))
    g.request(path="/probe/old")
    line = request_lines(stopped_log(g))[0]
    assert line.startswith("{") == (value == "json"), line


# -- rotation by size ----------------------------------------------------------------


def same_file(fd_link: str, path: Path) -> bool:
    try:
        a, b = os.stat(fd_link), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def fill_until_rotated(g, backups) -> int:
    """Requests until the master has rotated the log; returns how many were sent."""
    for i in range(400):
        g.request(path=f"/fill-{i}", query="q=" + "x" * 200)
        if backups() and i % 5 == 0:
            return i
        if i % 20 == 19:
            time.sleep(0.3)  # the master looks at the size on its tick
    pytest.fail("the log was never rotated")


@pytest.mark.parametrize("backupname", [None, "old/app.log.1"])
def test_log_maxsize_rotates_and_every_process_reopens(gantry, port, tmp_path, backupname):
    log = tmp_path / "app.log"
    extra = ()
    if backupname:
        (tmp_path / "old").mkdir()
        extra = ("--log-backupname", tmp_path / backupname)
    g = gantry.start(*app_args(port, "--logto", log, "--log-maxsize", "4k", "--processes", "2",
                               *extra))

    def backups():
        if backupname:
            return [tmp_path / backupname] if (tmp_path / backupname).exists() else []
        return sorted(p for p in tmp_path.iterdir() if re.fullmatch(r"app\.log\.\d{10}", p.name))

    fill_until_rotated(g, backups)
    workers = g.worker_pids()
    assert wait_until(lambda: "log rotated" in log.read_text(), 5), log.read_text()
    # The master and each worker write to the new file, not the renamed one.
    for pid in [g.pid, *workers]:
        assert wait_until(lambda: same_file(f"/proc/{pid}/fd/2", log), 5), pid
    g.request(path="/after-rotation")
    assert wait_until(lambda: "GET /after-rotation" in log.read_text(), 5), log.read_text()
    old = "".join(p.read_text() for p in backups())
    assert "rotating" in old and "GET /fill-" in old, old
    g.stop()
    assert "gantry stopped" in log.read_text()


def test_sigusr1_still_reopens_the_log(gantry, port, tmp_path):
    log = tmp_path / "app.log"
    g = gantry.start(*app_args(port, "--logto", log))
    log.rename(tmp_path / "moved.log")
    g.proc.send_signal(signal.SIGUSR1)
    assert wait_until(log.exists, 5)
    g.requests_reach(log)
