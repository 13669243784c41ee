"""--log-level: debug lines appear only when asked for, warning hides the request lines,
and a bad level stops gantry at start-up naming the option."""

import re
import socket
import time

import pytest

from paths import EXAMPLES


def hello_args(port, *extra):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", *extra)


def connect_and_close(port):
    """A client that connects and leaves without a byte: the worker's debug line."""
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_debug_level_logs_a_client_that_sent_nothing(gantry, port):
    g = gantry.start(*hello_args(port, "--log-level", "debug"))
    connect_and_close(port)
    line = g.wait_for_log("closed without sending a request")
    assert re.match(r"^\[[^\]]*\] \[pid \d+\] debug: worker \d+: ", line), line


def test_default_level_leaves_debug_lines_out(gantry, port):
    g = gantry.start(*hello_args(port))
    connect_and_close(port)
    # A request after it: once its line is in the log, a debug line would be there too.
    assert g.request(path="/after-close").status == 200
    g.wait_for_log("/after-close")
    assert "closed without sending" not in g.log_text()
    assert " debug: " not in g.log_text()


def test_warning_level_hides_request_lines(gantry, port):
    g = gantry.start(*hello_args(port, "--log-level", "warning"))
    assert g.request(path="/quiet").status == 200
    g.stop()
    assert "/quiet" not in g.log_text()
    assert " info: " not in g.log_text()


def test_log_level_from_yaml(gantry, port, tmp_path):
    conf = tmp_path / "gantry.yaml"
    conf.write_text("gantry:\n"
                    "  module: app:application\n"
                    f"  chdir: {EXAMPLES / 'hello'}\n"
                    f"  socket: 127.0.0.1:{port}\n"
                    "  log-level: debug\n")
    g = gantry.start("--yaml", conf, address=f"127.0.0.1:{port}")
    connect_and_close(port)
    g.wait_for_log("closed without sending a request")


@pytest.mark.parametrize("form", [("--log-level", "loud"), ("--log-level=verbose",)])
def test_bad_level_exits_2_naming_the_option(gantry, port, form):
    start = time.monotonic()
    code, out = gantry.run(*hello_args(port), *form, timeout=10)
    assert code == 2, out
    assert "--log-level" in out and "debug, info, warning or error" in out, out
    assert time.monotonic() - start < 5


def test_bad_level_in_ini_names_file_line_and_key(gantry, port, tmp_path):
    conf = tmp_path / "gantry.ini"
    conf.write_text(f"[uwsgi]\nmodule = app:application\nsocket = 127.0.0.1:{port}\n"
                    "log-level = chatty\n")
    code, out = gantry.run("--ini", conf, timeout=10)
    assert code == 2, out
    assert f"{conf}:4: log-level: expected debug, info, warning or error, got 'chatty'" in out, out
