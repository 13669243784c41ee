"""Protocol fidelity (issue 13 items 5 and 6; security review findings 4e, 14, 15, 17, 18,
21, 22, 23): the audit's probe bytes, sent to a real gantry with a uwsgi and an HTTP listener
serving tests/integration/apps/fidelity. Every refusal is a status and a closed connection;
no probe may kill a worker."""

from __future__ import annotations

import json
import socket

import pytest

import uwsgi_client
from gantry_proc import free_ports
from http_client import HttpConn
from paths import APPS
from procs import wait_until
from uwsgi_client import encode_packet, header, nginx_vars, parse_response

HUGE_LENGTHS = ["18446744073709551615", "1099511627776"]


class Front:
    """One gantry (one worker) with both listeners."""

    def __init__(self, g, http_port: int):
        self.g = g
        self.http = f"127.0.0.1:{http_port}"
        self.http_port = http_port

    def raw_http(self, data: bytes, shutdown_write: bool = False) -> bytes:
        return uwsgi_client.send_raw(self.http, data, timeout=5, shutdown_write=shutdown_write).data

    def raw_uwsgi(self, data: bytes, shutdown_write: bool = False) -> bytes:
        return self.g.send_raw(data, timeout=5, shutdown_write=shutdown_write).data

    def uwsgi(self, path: str, extra_vars=(), drop=(), **kwargs) -> uwsgi_client.Response:
        pairs = [(k, v) for k, v in nginx_vars(path=path, **kwargs) if k not in drop]
        return parse_response(self.raw_uwsgi(encode_packet(pairs + list(extra_vars))))


@pytest.fixture
def front(gantry):
    uwsgi_port, http_port = free_ports(2)
    g = gantry.start("--module", "app:application", "--chdir", APPS / "fidelity",
                     "--socket", f"127.0.0.1:{uwsgi_port}",
                     "--http-socket", f"127.0.0.1:{http_port}")
    f = Front(g, http_port)
    f.workers = g.wait_for_workers(1)
    yield f
    assert g.worker_pids() == f.workers, "no worker may die on a probe"


def refused(raw: bytes, status: int = 400) -> uwsgi_client.Response:
    assert raw, "the connection was closed with no answer"
    resp = parse_response(raw)
    assert resp.status == status, raw[:300]
    assert resp.header("Connection", "").lower() == "close", raw[:300]
    return resp


def environ_of(raw: bytes) -> dict:
    resp = parse_response(raw)
    assert resp.status == 200, raw[:300]
    return json.loads(resp.body)


# -- finding 15: obs-fold, bare CR, leading empty lines ---------------------------------

HEAD_PROBES = {
    "obs-fold-space": b"GET /environ HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\nConnection: close\r\n\r\n",
    "obs-fold-tab": b"GET /environ HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\nConnection: close\r\n\r\n",
    "folded-transfer-encoding": (b"POST /read HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n"
                                 b"Connection: close\r\n\r\n1\r\n3\r\n0\r\n\r\n"),
    "bare-cr-in-value": b"GET /environ HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\nConnection: close\r\n\r\n",
    "bare-cr-ends-a-line": b"GET /environ HTTP/1.1\r\nHost: a\rX-A: b\r\nConnection: close\r\n\r\n",
    "bare-cr-in-request-line": b"GET /environ\r HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "bare-lf-before-request-line": b"\nGET /environ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "bare-cr-before-request-line": b"\rGET /environ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
}


@pytest.mark.parametrize("probe", HEAD_PROBES)
def test_obs_fold_and_bare_cr_are_refused(front, probe):
    refused(front.raw_http(HEAD_PROBES[probe]))


def test_empty_lines_before_a_request_line_are_skipped(front):
    env = environ_of(front.raw_http(
        b"\r\n\r\nGET /environ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert env["environ"]["PATH_INFO"] == "/environ"


# -- finding 14: absolute-form and Host --------------------------------------------------


@pytest.mark.parametrize("host", [b"evil.example/x?y=<z>@w", b"b", b"a:81"])
def test_absolute_form_with_a_bad_or_other_host_is_refused(front, host):
    refused(front.raw_http(b"GET http://a/environ HTTP/1.1\r\nHost: " + host
                           + b"\r\nConnection: close\r\n\r\n"))


def test_absolute_form_with_the_same_host_is_served(front):
    env = environ_of(front.raw_http(
        b"GET http://a:8080/environ HTTP/1.1\r\nHost: A:8080\r\nConnection: close\r\n\r\n"))["environ"]
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["HTTP_HOST"]) == ("a", "8080", "A:8080")


# -- finding 17: wsgi.input.read() allocates what arrives, not what is declared ---------


@pytest.mark.parametrize("minus1", [False, True])
@pytest.mark.parametrize("length", HUGE_LENGTHS)
def test_uwsgi_huge_content_length_read_allocates_what_arrives(front, length, minus1):
    pairs = [(k, length.encode() if k == b"CONTENT_LENGTH" else v)
             for k, v in nginx_vars("POST", "/read", query="minus1" if minus1 else "", body=b"hello")]
    raw = front.raw_uwsgi(encode_packet(pairs, b"hello"), shutdown_write=True)
    resp = parse_response(raw)
    assert resp.status == 200, raw[:300]
    got = json.loads(resp.body)
    # The client's body ended early: a clean OSError, not a SystemError or MemoryError.
    assert got.get("error") == "OSError", got
    assert got["peak"] < 2 << 20, f"{got['peak']} bytes allocated to read 5"


def test_http_huge_content_length_read_allocates_what_arrives(front):
    raw = front.raw_http(b"POST /read HTTP/1.1\r\nHost: a\r\nContent-Length: 1099511627776\r\n\r\nhello",
                         shutdown_write=True)
    got = json.loads(parse_response(raw).body)
    assert got.get("error") == "OSError" and got["peak"] < 2 << 20, got


@pytest.mark.parametrize("size", [0, 5, 70_000, 3 << 20])
def test_read_returns_whole_bodies(front, size):
    body = bytes(i % 251 for i in range(size))
    for query in ("", "minus1"):
        got = json.loads(parse_response(front.raw_uwsgi(encode_packet(
            nginx_vars("POST", "/read", query=query, body=body), body))).body)
        assert got.get("data", "").encode("latin-1") == body, {k: str(v)[:80] for k, v in got.items()}
    chunked = f"{size:x}\r\n".encode() + body + b"\r\n0\r\n\r\n" if size else b"0\r\n\r\n"
    raw = front.raw_http(b"POST /read?minus1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                         b"Connection: close\r\n\r\n" + chunked)
    got = json.loads(parse_response(raw).body)
    assert got.get("data", "").encode("latin-1") == body
    assert got["peak"] < 2 * size + (2 << 20)


# -- a uwsgi packet without REQUEST_METHOD -------------------------------------------------


@pytest.mark.parametrize("pairs", [[], [(b"PATH_INFO", b"/environ")]], ids=["empty", "no-method"])
def test_uwsgi_packet_without_request_method_is_a_400(front, pairs):
    refused(front.raw_uwsgi(encode_packet(pairs)))
    front.g.wait_for_log("REQUEST_METHOD")


# -- CONTENT_TYPE and CONTENT_LENGTH as the front sent them -------------------------------


def test_empty_content_type_and_length_reach_the_app(front):
    env = environ_of(front.raw_uwsgi(encode_packet(nginx_vars(path="/environ") + [
        (b"CONTENT_TYPE", b""), (b"CONTENT_LENGTH", b"")])))["environ"]
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("", "")


# -- a bare bytes result -------------------------------------------------------------------


@pytest.mark.parametrize("path,body", [("/bytes", b"a bare bytes body\n"),
                                       ("/bytearray", b"a bare bytearray body\n")])
def test_a_bare_bytes_result_is_the_body(front, path, body):
    resp = front.uwsgi(path)
    assert (resp.status, resp.body) == (200, body)
    with HttpConn(front.http_port) as c:
        for _ in range(2):  # delimited: the connection is kept
            resp = c.request("GET", path)
            assert (resp.status, resp.body, resp.header("Content-Length")) == (200, body, str(len(body)))


# -- finding 18: uwsgi vars cannot replace wsgi.* -----------------------------------------


def test_uwsgi_vars_cannot_replace_wsgi_keys(front):
    report = environ_of(front.raw_uwsgi(encode_packet(nginx_vars(path="/environ") + [
        (b"wsgi.url_scheme", b"javascript"), (b"wsgi.errors", b"not-a-stream"),
        (b"wsgi.file_wrapper", b"x"), (b"wsgi.input", b"y"), (b"wsgi.nonstandard", b"z")])))
    assert report["environ"]["wsgi.url_scheme"] == "http"
    assert "wsgi.nonstandard" not in report["types"]
    types = report["types"]
    assert types["wsgi.errors"] != "str" and types["wsgi.file_wrapper"] == "type", types
    assert types["wsgi.input"] == "Input", types


# -- finding 23: start_response refuses 1xx and control bytes ------------------------------


@pytest.mark.parametrize("status", [b"100 Continue", b"101 Switching Protocols", b"000 X",
                                    b"199 Odd", b"600 Too Far", b"200 O\x01K", b"200 O\x7fK",
                                    b"200 O\x1bK"])
def test_start_response_refuses_bad_statuses(front, status):
    resp = front.uwsgi("/status", extra_vars=[(b"HTTP_X_STATUS", status)])
    assert resp.status == 200 and resp.body.startswith(b"refused: "), resp.raw[:300]


@pytest.mark.parametrize("value", [b"a\x01b", b"a\x7fb", b"a\x1b[31mb", b"a\x0bb"])
def test_start_response_refuses_control_bytes_in_values(front, value):
    resp = front.uwsgi("/header", extra_vars=[(b"HTTP_X_VALUE", value)])
    assert resp.status == 200 and resp.body.startswith(b"refused: "), resp.raw[:300]


@pytest.mark.parametrize("status,value", [(b"200 OK", b"caf\xe9\tau lait"),
                                          (b"599 Custom \xe9t\xe9", b"x"),
                                          (b"299 Odd But Final", b"x")])
def test_start_response_keeps_tab_and_obs_text(front, status, value):
    resp = front.uwsgi("/header", extra_vars=[(b"HTTP_X_STATUS", status), (b"HTTP_X_VALUE", value)])
    assert (resp.status, resp.body) == (int(status[:3]), b"accepted"), resp.raw[:300]
    assert resp.header("X-Test") == value.decode("latin-1")


def test_a_1xx_final_status_is_a_500_on_both_sockets(front):
    front.g.allow_log_errors = True  # the app's uncaught ValueError is logged as an error
    resp = front.uwsgi("/raise-status", extra_vars=[(b"HTTP_X_STATUS", b"100 Continue")])
    assert resp.status == 500, resp.raw[:300]
    raw = front.raw_http(b"GET /raise-status HTTP/1.1\r\nHost: a\r\nX-Status: 101 Switching\r\n"
                         b"Connection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500 "), raw[:300]
    assert b"101" not in raw, raw[:300]


# -- finding 21: PATH_INFO on the HTTP socket ----------------------------------------------


@pytest.mark.parametrize("target,path", [
    (b"/public/../admin", "/admin"),
    (b"/public/%2e%2e/admin", "/admin"),
    (b"/a/./b/../../c/", "/c/"),
    (b"/../../etc/passwd", "/etc/passwd"),
    (b"/a/b/..", "/a/"),
    (b"/a%2F..%2Fb", "/b"),
    (b"/.hidden/..x/x..", "/.hidden/..x/x.."),
])
def test_dot_segments_are_removed_from_path_info(front, target, path):
    raw = front.raw_http(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    resp = parse_response(raw)
    assert (resp.status, resp.body.decode("latin-1")) == (200, f"path {path}"), raw[:300]


@pytest.mark.parametrize("target", [b"/x%00y", b"/path/../../etc/%2e%2e/x%00y%2f"])
def test_a_decoded_nul_in_the_path_is_a_400(front, target):
    refused(front.raw_http(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))


def test_request_uri_stays_as_sent(front):
    env = environ_of(front.raw_http(
        b"GET /x/../environ?a=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))["environ"]
    assert (env["PATH_INFO"], env["REQUEST_URI"]) == ("/environ", "/x/../environ?a=1")


# -- finding 22: app threads and the server's objects --------------------------------------


def test_wsgi_input_read_by_a_thread_after_the_request_fails_cleanly(front):
    resp = front.uwsgi("/input-later", method="POST", body=b"0123456789")
    assert (resp.status, resp.body) == (200, b"handed\n")
    got = json.loads(front.uwsgi("/thread-result").body)
    # The stream is at its end for good (b""), or says why not; it never reaches the socket.
    assert got == {"data": ""} or (got.get("error") == "OSError"
                                   and "after the request ended" in got["message"]), got


def test_wsgi_input_read_in_flight_when_the_request_ends(front):
    with HttpConn(front.http_port, timeout=5) as c:
        # Expect: 100-continue, or gantry would wait for the body before calling the app (a
        # body of up to 16 KiB is received on the poller first: see README, "Limits").
        c.send(b"POST /input-inflight HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
               b"Expect: 100-continue\r\n\r\n")
        resp = c.read_response()  # the thread is blocked in read(10): nothing of it was sent
        if resp.status == 100:  # the app's thread asked for the body before the response went
            resp = c.read_response()
        assert (resp.status, resp.body) == (200, b"handed\n")
        c.send(b"01234")
        c.send(b"56789")
    got = json.loads(front.uwsgi("/thread-result").body)
    assert got == {"data": "0123456789"}, got


def test_a_list_result_emptied_by_another_thread_while_it_is_sent(front, tmp_path):
    with HttpConn(front.http_port, timeout=10, rcvbuf=4096) as c:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(b"GET /shared-list?" + str(tmp_path).encode() + b" HTTP/1.1\r\nHost: a\r\n"
               b"Connection: close\r\n\r\n")
        assert wait_until(lambda: (tmp_path / "cleared").exists(), 5), "the list was never emptied"
        received = c.read_to_close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), received[:300]
    # The item being sent stays alive until it is sent; the emptied list ends the body there
    # (short of its Content-Length, so the connection closes).
    items = len(body) >> 20
    whole = b"".join(bytes([65 + i]) * (1 << 20) for i in range(items))
    assert 1 <= items < 8 and body == whole, (len(body), body[-20:])
    resp = front.uwsgi("/environ")
    assert resp.status == 200


# -- finding 4e: no 100 Continue once the response has started ----------------------------


def test_no_100_continue_after_the_response_head(front):
    with HttpConn(front.http_port, timeout=5) as c:
        c.send(b"POST /write-then-read HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
               b"Content-Length: 3\r\nConnection: close\r\n\r\n")
        first = c.read_response(head_only=True)
        if first.status == 100:
            first = c.read_response(head_only=True)  # before the head is allowed
        assert first.status == 200, first.raw
        c.send(b"abc")
        rest = c.read_to_close()
    assert b"100 Continue" not in rest, rest
    assert rest.startswith(b"0123456789") or rest.startswith(b"01234"), rest
