"""The WSGI bridge against PEP 3333, with the app wrapped in wsgiref.validate.

One gantry per test (--processes 1) serves apps/pep3333, whose validated app
records every objection of wsgiref.validate in a file of the test's tmp dir;
each test ends by asserting the file is empty. The /raw/ paths of that app
break the rules on purpose (bad status, bad headers, start_response twice) and
gantry must answer 500 and log a line that names the problem.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import socket

import pytest

import uwsgi_client
from paths import APPS
from procs import wait_until

APP_DIR = APPS / "pep3333"
MiB = 1 << 20


class Pep3333App:
    def __init__(self, g, tmp_path):
        self.g = g
        self.validator_log = tmp_path / "validator-errors.log"
        self.data_file = tmp_path / "data.bin"

    def validator_errors(self) -> str:
        return self.validator_log.read_text() if self.validator_log.exists() else ""

    def assert_no_validator_errors(self) -> None:
        # One more request: the previous response's iterator is collected by now, so a
        # missing close() has reached the log.
        self.g.request(path="/")
        errors = self.validator_errors()
        assert not errors, f"wsgiref.validate objected:\n{errors}"

    def state(self) -> dict:
        resp = self.g.request(path="/state")
        assert resp.status == 200, resp.raw[:300]
        return json.loads(resp.body)


@pytest.fixture
def start_app(gantry, port, tmp_path):
    """start_app(*extra_args, allow_log_errors=False) -> Pep3333App."""
    def start(*extra, allow_log_errors=False) -> Pep3333App:
        conf = tmp_path / "conf"
        conf.mkdir(exist_ok=True)
        app = Pep3333App(None, tmp_path)
        (conf / "pep3333_settings.py").write_text(
            f"VALIDATOR_LOG = {str(app.validator_log)!r}\nDATA_FILE = {str(app.data_file)!r}\n")
        app.data_file.write_bytes(os.urandom(8 * MiB + 123))
        app.g = gantry.start("--module", "app:application", "--chdir", APP_DIR,
                             "--pythonpath", conf, "--socket", f"127.0.0.1:{port}",
                             "--processes", "1", *extra, allow_log_errors=allow_log_errors)
        return app
    return start


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) without trusting Content-Length."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"no end of HTTP head in {raw[:300]!r}"
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^HTTP/1\.[01] (\d{3}) ", lines[0])
    assert m, f"bad status line {lines[0]!r}"
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon, f"bad header line {line!r} in {raw[:300]!r}"
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers, body


def raw_request(app: Pep3333App, method="GET", path="/", query="", body=b"", timeout=10.0):
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars(method, path, query, body), body)
    result = app.g.send_raw(packet, timeout=timeout)
    return split_response(result.data)


def log_lines_since(g, mark: int) -> list[str]:
    return g.log_text()[mark:].splitlines()


# -- environ and query strings -----------------------------------------------------------

@pytest.mark.parametrize("query", ["", "a=1&b=two", "x=%20y%2Fz&x=2&empty=&flag",
                                   "caf%C3%A9=%E2%98%83"])
def test_get_with_query_string(start_app, query):
    app = start_app()
    resp = app.g.request(path="/echo", query=query)
    assert resp.status == 200, resp.raw[:300]
    report = json.loads(resp.body)
    env = report["environ"]
    assert env["QUERY_STRING"] == query
    assert env["PATH_INFO"] == "/echo"
    assert env["SCRIPT_NAME"] == ""
    assert env["REQUEST_METHOD"] == "GET"
    assert ast.literal_eval(report["wsgi"]["wsgi.version"]) == (1, 0)
    assert report["wsgi"]["wsgi.multithread"] == "False"
    assert report["wsgi"]["wsgi.run_once"] == "False"
    assert report["wsgi"]["wsgi.input_terminated"] == "True"
    assert "wsgi.file_wrapper" in report["wsgi"]
    app.assert_no_validator_errors()


# -- wsgi.input ----------------------------------------------------------------------------

READ_METHODS = ["read", "read_n", "read_past", "readline", "readline_n", "readlines",
                "readlines_hint", "iter"]
BODY_SIZES = [0, 1024, 10 * MiB]


@pytest.mark.parametrize("method", READ_METHODS)
def test_post_body_read_by_each_method(start_app, method):
    app = start_app()
    for size in BODY_SIZES:
        # Random bytes: a b"\n" every 256 bytes on average, and lines of every length.
        body = os.urandom(size)
        resp = app.g.request("POST", f"/input/{method}", body=body,
                             headers={"Content-Type": "application/octet-stream"}, timeout=30)
        assert resp.status == 200, f"{method}, {size} bytes: {resp.raw[:500]!r}"
        report = json.loads(resp.body)
        assert report["length"] == size, f"{method}, {size} bytes: {report}"
        assert report["sha256"] == hashlib.sha256(body).hexdigest(), f"{method}, {size} bytes"
        assert report["after_end"] == 0, f"{method}: data after the end of the body: {report}"
        assert report["bad_lines"] == 0, f"{method}: pieces that are not lines: {report}"
        assert report["input_terminated"] is True
        if method == "readline_n":
            assert report["longest"] <= 100
    app.assert_no_validator_errors()


def test_body_that_is_one_long_line_and_lines_without_end(start_app):
    app = start_app()
    for body in [b"x" * (3 * MiB), b"a\nbb\n\n\nccc", b"\n" * 70_000, b"no newline at all"]:
        for method in ("readline", "readline_n", "iter", "readlines_hint"):
            resp = app.g.request("POST", f"/input/{method}", body=body, timeout=30)
            assert resp.status == 200, resp.raw[:300]
            report = json.loads(resp.body)
            assert (report["length"], report["sha256"], report["bad_lines"]) == (
                len(body), hashlib.sha256(body).hexdigest(), 0), f"{method}: {report}"
    app.assert_no_validator_errors()


# -- response shapes -----------------------------------------------------------------------

@pytest.mark.parametrize("path, body", [
    ("/list", b"one,two,three"),
    ("/single", b"just one chunk"),
    ("/generator", b"".join(b"gen-%d;" % i for i in range(100))),
    ("/lazy-start", b"lazy body"),
    ("/write", b"hello world!"),
    ("/write-then-generator", b"written;yielded;done"),
    ("/empty", b""),
    ("/empty-chunks", b""),
])
def test_response_shapes(start_app, path, body):
    app = start_app()
    status, headers, got = raw_request(app, path=path)
    assert status == 200
    assert got == body
    assert headers["content-type"] == "text/plain"
    if "content-length" in headers:
        assert int(headers["content-length"]) == len(body)
    if path.startswith("/empty"):
        assert headers.get("x-empty"), "an empty body still sends the app's headers, at the end"
    app.assert_no_validator_errors()
    if path in ("/generator", "/empty-chunks", "/write-then-generator"):
        assert path.lstrip("/") in app.state()["closed"], "close() not called on the result"


def test_head_sends_no_body(start_app):
    app = start_app()
    status, headers, got = raw_request(app, "HEAD", "/single")
    assert (status, got) == (200, b""), "HEAD: headers only"
    assert headers["content-length"] == str(len(b"just one chunk")), "the app's headers stay"

    status, headers, got = raw_request(app, "HEAD", "/generator")
    assert (status, got) == (200, b"")
    assert "generator" in app.state()["closed"], "close() on the result of a HEAD request too"

    status, headers, got = raw_request(app, "HEAD", "/file", query="kind=real")
    assert (status, got) == (200, b"")
    assert headers["content-length"] == str(8 * MiB + 123)
    app.assert_no_validator_errors()


# -- wsgi.file_wrapper ---------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["", "/raw"], ids=["validated", "gantry-wrapper"])
@pytest.mark.parametrize("kind", ["real", "bytesio", "reader"])
def test_file_wrapper(start_app, prefix, kind):
    """Through the validator gantry iterates the wrapper; under /raw/ it gets its own
    wrapper back: sendfile() for a real file, block reads for a BytesIO (whose fileno()
    raises) or an object with read() and close() only."""
    app = start_app()
    data = app.data_file.read_bytes()
    for offset in (0, 1000):
        status, headers, got = raw_request(app, path=f"{prefix}/file",
                                           query=f"kind={kind}&offset={offset}", timeout=30)
        assert status == 200
        assert int(headers["content-length"]) == len(data) - offset
        assert len(got) == len(data) - offset, "short or long body"
        assert got == data[offset:], "wrong bytes: the file must be sent from its current position"
        assert app.state()["last_file_closed"] is True, "close() must reach the file"
    app.assert_no_validator_errors()


def read_syscalls(pid: int) -> int:
    for line in open(f"/proc/{pid}/io"):
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError("no syscr in /proc/pid/io")


def test_file_wrapper_uses_sendfile_for_a_real_file(start_app):
    """/proc/<worker>/io counts read-type system calls: an 8 MiB file read in 4 KiB blocks
    would be ~2000 of them (~130 at 64 KiB); sendfile() moves it in a handful."""
    app = start_app()
    [worker] = app.g.wait_for_workers(1)
    raw_request(app, path="/raw/file", query="kind=real")  # warm up
    before = read_syscalls(worker)
    status, _, got = raw_request(app, path="/raw/file", query="kind=real")
    used = read_syscalls(worker) - before
    assert (status, len(got)) == (200, 8 * MiB + 123)
    assert used < 60, f"{used} read-type system calls to send an 8 MiB file: not sendfile()"


# -- application errors --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/boom-before-start", "/boom-in-first-chunk",
                                  "/boom-after-empty-chunk"])
def test_exception_before_headers_is_500(start_app, path):
    app = start_app(allow_log_errors=True)
    status, _, body = raw_request(app, path=path)
    assert status == 500
    assert b"boom" not in body and b"Traceback" not in body, "no traceback to the client"
    app.g.wait_for_log("AppBoom: boom")
    if path != "/boom-before-start":
        assert path.lstrip("/") in app.state()["closed"], "close() on the error path too"
    app.assert_no_validator_errors()


def test_exception_after_headers_cuts_the_response_short(start_app):
    app = start_app(allow_log_errors=True)
    [worker] = app.g.wait_for_workers(1)
    status, headers, body = raw_request(app, path="/boom-after-headers")
    assert status == 200, "the head went out before the failure"
    assert headers["content-length"] == "5000"
    assert body == b"x" * 1000, "the connection must close right after what was sent"
    line = app.g.wait_for_log("AppBoom: boom in the body of boom-after-headers")
    assert "AppBoom" in line
    assert "boom-after-headers" in app.state()["closed"], "close() on the error path too"
    assert app.g.worker_pids() == [worker]
    app.assert_no_validator_errors()


def test_exc_info_before_headers_replaces_the_status(start_app):
    app = start_app()
    status, _, body = raw_request(app, path="/exc-info-before-headers")
    assert (status, body) == (503, b"sorry, try later")
    app.assert_no_validator_errors()


def test_exc_info_after_headers_reraises(start_app):
    app = start_app(allow_log_errors=True)
    status, headers, body = raw_request(app, path="/exc-info-after-headers")
    assert (status, headers["content-length"]) == (200, "100")
    assert body == b"partial", "the response is cut short after what was written"
    app.g.wait_for_log("AppBoom: late failure with exc_info")
    app.assert_no_validator_errors()


def test_content_length_declared_by_app_is_honoured(start_app):
    app = start_app()
    mark = len(app.g.log_text())
    status, headers, body = raw_request(app, path="/content-length-short")
    assert (status, headers["content-length"]) == (200, "5")
    assert body == b"01234", "no byte past the app's Content-Length may be sent"
    assert "content-length-short" in app.state()["closed"]
    assert wait_until(lambda: [l for l in log_lines_since(app.g, mark)
                               if re.search(r"\] warning: .*content-length", l, re.I)], 5), (
        f"no warning about the extra body\n--- log ---\n{app.g.log_text()}")
    app.assert_no_validator_errors()


def test_client_that_goes_away_mid_response(start_app):
    """A debug-level line at most: no traceback, no warning or error, the worker lives on."""
    app = start_app()
    [worker] = app.g.wait_for_workers(1)
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars("GET", "/big"))
    with uwsgi_client.connect(app.g.address, timeout=10) as sock:
        sock.sendall(packet)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert wait_until(lambda: "big" in app.state()["closed"], 5), "close() after the client left"
    assert app.g.worker_pids() == [worker]
    log = app.g.log_text()
    assert "Traceback" not in log
    assert not [l for l in log.splitlines() if re.search(r"\] (warning|error|critical):", l)], log
    app.assert_no_validator_errors()


# -- start_response misuse: 500 and a log line naming the problem --------------------------

BAD_STATUS = {
    # case: what the log line must show about it
    "no-reason": r"status.*'200'",
    "no-code": r"status.*'OK'",
    "letters": r"status.*'20x OK'",
    "long-code": r"status.*'2000 OK'",
    "crlf": r"status.*X-Injected: status",
    "bytes": r"status.*bytes",
    "int": r"status.*int",
}

BAD_HEADERS = {
    "name-space": r"header.*'Bad Name'",
    "name-colon": r"header.*'X-Colon:'",
    "name-empty": r"header.*''",
    "value-crlf": r"header.*X-Injected: header",
    "value-lf": r"header.*a\\nb",
    "value-cr": r"header.*a\\rb",
    "value-not-latin1": r"header.*latin-?1",
    "name-bytes": r"header.*bytes",
    "value-bytes": r"header.*bytes",
    "value-int": r"header.*int",
}


def check_500_with_log(app, path, pattern):
    [worker] = app.g.wait_for_workers(1)
    mark = len(app.g.log_text())
    status, headers, body = raw_request(app, path=path)
    assert status == 500, f"{path}: got {status} {headers} {body[:100]!r}"
    assert b"must not be sent" not in body
    assert "x-injected" not in headers
    found = wait_until(lambda: [l for l in log_lines_since(app.g, mark)
                                if re.search(pattern, l, re.I)], 5)
    assert found, (f"{path}: no log line matching {pattern!r}\n"
                   f"--- log ---\n{app.g.log_text()[mark:]}")
    state = app.state()
    assert path in state["closed"] or path in state["start_response_raised"], (
        f"{path}: start_response did not raise, and close() was not called on the result")
    assert app.g.worker_pids() == [worker]


def test_invalid_status_is_500_and_logged(start_app):
    app = start_app(allow_log_errors=True)
    failures = []
    for case, pattern in BAD_STATUS.items():
        try:
            check_500_with_log(app, f"/raw/status/{case}", pattern)
        except AssertionError as exc:
            failures.append(f"{case}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def test_invalid_header_is_500_and_logged(start_app):
    app = start_app(allow_log_errors=True)
    failures = []
    for case, pattern in BAD_HEADERS.items():
        try:
            check_500_with_log(app, f"/raw/header/{case}", pattern)
        except AssertionError as exc:
            failures.append(f"{case}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)


def test_second_start_response_without_exc_info_is_an_error(start_app):
    app = start_app(allow_log_errors=True)
    check_500_with_log(app, "/raw/start-twice", r"start_response.*(second|twice|again|already)")
