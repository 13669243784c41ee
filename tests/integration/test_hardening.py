"""What a request, a child process or the environment cannot do to gantry: forge log lines,
reach the scoreboard, or have a forged reload hand-over adopted."""

import fcntl
import json
import os
import re
import signal
import socket
import subprocess

import uwsgi_client
from procs import is_running, wait_until


def hello_args(port, *extra):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", *extra)


def scoreboard_of(pid):
    """The master's scoreboard, opened through /proc (the same memfd, not a copy)."""
    for entry in os.listdir(f"/proc/{pid}/fd"):
        if os.readlink(f"/proc/{pid}/fd/{entry}").startswith("/memfd:gantry-scoreboard"):
            return os.open(f"/proc/{pid}/fd/{entry}", os.O_RDWR | os.O_CLOEXEC)
    raise AssertionError(f"no scoreboard memfd in /proc/{pid}/fd")


def assert_sealed(pid):
    fd = scoreboard_of(pid)
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        assert seals & fcntl.F_SEAL_SHRINK and seals & fcntl.F_SEAL_GROW, f"seals {seals:#x}"
        size = os.fstat(fd).st_size
        for new_size in (0, size + 4096):
            try:
                os.ftruncate(fd, new_size)
            except PermissionError:
                continue
            raise AssertionError(f"the scoreboard could be resized to {new_size}")
    finally:
        os.close(fd)


def test_cron_commands_do_not_inherit_the_scoreboard(gantry, port):
    marker = "fd-listing-done"
    g = gantry.start(*hello_args(port, "--cron", f"@every 1s ls -l /proc/$$/fd; echo {marker}"))
    g.wait_for_log(marker, timeout=5)
    assert_sealed(g.pid)

    # The same after a reload, which hands the scoreboard over through execv().
    old = g.wait_for_workers(1)
    listings = g.log_text().count(marker)
    os.kill(g.pid, signal.SIGHUP)
    g.wait_for_workers(1, exclude=old)
    assert wait_until(lambda: g.log_text().count(marker) >= listings + 2, 6), g.log_text()
    assert_sealed(g.pid)

    log = g.log_text()
    assert re.search(r"\b0 -> /dev/null", log), f"the listing is in the log:\n{log}"
    assert "memfd" not in log, f"a cron command inherited the scoreboard:\n{log}"


def send_vars(g, **replaced):
    """A GET for /x as nginx would send it, with some vars replaced by raw bytes."""
    pairs = [(k, replaced.get(k.decode(), v)) for k, v in uwsgi_client.nginx_vars(path="/x")]
    resp = uwsgi_client.parse_response(
        g.send_raw(uwsgi_client.encode_packet(pairs), timeout=10).data)
    assert resp.status == 200


def test_text_log_escapes_control_bytes_from_a_request(gantry, port):
    g = gantry.start(*hello_args(port))
    send_vars(g, REQUEST_URI=b"/x\r\n[fake] error: injected\x1b[2J\\x0a",
              REMOTE_ADDR=b"1.2.3.4\n[fake]")
    g.stop()
    log = g.log_text()
    assert not any(line.startswith("[fake]") for line in log.splitlines()), log
    assert ("1.2.3.4\\n[fake] GET /x\\r\\n[fake] error: injected\\x1b[2J\\\\x0a => 200"
            in log), log


def test_json_log_lines_stay_json_whatever_the_bytes(gantry, port):
    g = gantry.start(*hello_args(port, "--log-style", "json"))
    send_vars(g, REQUEST_URI=b"/caf\xc3\xa9/\xff\xc0\xaf\r\n", REQUEST_METHOD=b"GET")
    g.stop()
    records = [json.loads(line) for line in g.log_path.read_bytes().decode("utf-8").splitlines()]
    uris = [r["uri"] for r in records if "uri" in r]
    assert uris == ["/", "/caf\u00e9/\u00ff\u00c0\u00af\r\n"], uris  # "/": the readiness check


def sleeper(process_registry):
    """A process that is not gantry's child, to name in a forged hand-over."""
    proc = subprocess.Popen(["sleep", "60"])
    process_registry.add(proc.pid, "sleep named in a forged GANTRY_HANDOVER")
    return proc


def test_a_forged_handover_is_ignored(gantry, port, process_registry):
    victim = sleeper(process_registry)
    try:
        # Stdin as the scoreboard, stdin as the listener, a stranger as a worker.
        forged = f"0 0 36 1\n{victim.pid} 1 0 1 0|\n0 127.0.0.1:{port}|"
        g = gantry.start(*hello_args(port), env={**os.environ, "GANTRY_HANDOVER": forged})
        g.wait_for_log("GANTRY_HANDOVER: descriptor 0 is not a gantry scoreboard; ignoring "
                       "the hand-over and starting afresh")
        assert g.request().status == 200
        g.stop()
        assert is_running(victim.pid), "the stranger named as a worker was signalled"
    finally:
        victim.kill()
        victim.wait()


def test_handover_adopts_only_listening_sockets_and_children(gantry, port, process_registry):
    victim = sleeper(process_registry)
    board = os.memfd_create("forged-scoreboard", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    left, right = socket.socketpair()
    try:
        os.ftruncate(board, 4 << 20)
        fcntl.fcntl(board, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
        forged = (f"0 {board} 36 1\n{victim.pid} 1 0 1 0|\n"
                  f"{left.fileno()} 127.0.0.1:{port}|")
        g = gantry.start(*hello_args(port), env={**os.environ, "GANTRY_HANDOVER": forged},
                         pass_fds=(board, left.fileno()))
        g.wait_for_log(f"GANTRY_HANDOVER: descriptor {left.fileno()} for 127.0.0.1:{port} is "
                       f"not a listening socket; ignored")
        g.wait_for_log(f"GANTRY_HANDOVER: pid {victim.pid} is not a child of this process; "
                       f"ignored")
        assert g.request().status == 200, "the socket was bound afresh"
        g.stop()
        assert is_running(victim.pid), "the stranger named as a worker was signalled"
    finally:
        os.close(board)
        left.close()
        right.close()
        victim.kill()
        victim.wait()
