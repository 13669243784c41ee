"""--http-socket, the protocol: keep-alive, pipelining, chunked bodies both ways,
100-continue, refused requests, Connection handling, HEAD. Raw sockets (and `requests`);
each test runs its own gantry with tests/integration/apps/http."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

import uwsgi_client

from http_client import MiB, GEN_BODY, LIST_BODY, HttpConn, build_request, local_session, served_by, start_http


def test_1000_requests_on_one_keepalive_connection(gantry, port):
    g = start_http(gantry, port)
    [worker] = g.wait_for_workers(1)
    with HttpConn(port) as c:
        seen = set()
        for i in range(1000):
            resp = c.request("GET", "/")
            assert resp.header("Connection", "").lower() != "close", f"request {i}: {resp.raw!r}"
            seen.add(served_by(resp))
        assert seen == {(worker, c.local_port)}, (
            "every request must come on the same connection (REMOTE_PORT = our port) "
            f"to the one worker; saw (pid, REMOTE_PORT) {sorted(seen)[:10]}")


# -- 2. pipelining -------------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        c.send(build_request("GET", "/echo/1")
               + build_request("GET", "/gen")
               + build_request("POST", "/echo/3", body=b"x" * 3000))
        first, second, third = (c.read_response() for _ in range(3))
        assert (first.status, first.body) == (200, b"GET /echo/1 0")
        assert (second.status, second.body) == (200, GEN_BODY)
        assert (third.status, third.body) == (200, b"POST /echo/3 3000")
        # Nothing more came, and the connection is still good.
        again = c.request("GET", "/echo/4")
        assert (again.status, again.body) == (200, b"GET /echo/4 0")


# -- 3. request bodies ---------------------------------------------------------------


def test_chunked_upload_with_extension_and_trailer(gantry, port):
    start_http(gantry, port)
    pieces = [os.urandom(n) for n in (1, 4096, 65536 + 7, 100_000, 3)]
    body = b"".join(pieces)
    wire = bytearray()
    for i, piece in enumerate(pieces):
        ext = ";name=value" if i == 1 else ""
        wire += f"{len(piece):x}{ext}\r\n".encode() + piece + b"\r\n"
    wire += b"0\r\nX-Trailer: yes\r\n\r\n"
    with HttpConn(port) as c:
        c.send(build_request("POST", "/upload", {"Transfer-Encoding": "chunked"}) + bytes(wire))
        resp = c.read_response()
        assert resp.status == 200, resp.raw[:300] + resp.body[:300]
        got = json.loads(resp.body)
        assert got["length"] == len(body)
        assert got["sha256"] == hashlib.sha256(body).hexdigest()
        assert got["has_content_length"] is False, (
            f"CONTENT_LENGTH={got['CONTENT_LENGTH']!r} for a chunked body")
        # The trailer was consumed with the body: the connection goes on cleanly.
        again = c.request("GET", "/echo/after")
        assert (again.status, again.body) == (200, b"GET /echo/after 0")


def test_content_length_upload_of_1_mib(gantry, port):
    start_http(gantry, port)
    body = os.urandom(MiB)
    with local_session() as s:
        resp = s.post(f"http://127.0.0.1:{port}/upload", data=body, timeout=3)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.json() == {"length": MiB, "sha256": hashlib.sha256(body).hexdigest(),
                           "CONTENT_LENGTH": str(MiB), "has_content_length": True}


def test_expect_100_continue_gets_the_interim_response_first(gantry, port):
    start_http(gantry, port)
    body = os.urandom(10_000)
    with HttpConn(port, timeout=3) as c:
        c.send(build_request("POST", "/upload", {"Content-Length": str(len(body)),
                                                 "Expect": "100-continue"}))
        interim = c.read_response()  # nothing of the body sent yet: this must come first
        assert (interim.version, interim.status) == ("HTTP/1.1", 100), interim.raw
        c.send(body)
        final = c.read_response()
        assert final.status == 200, final.raw
        assert json.loads(final.body)["sha256"] == hashlib.sha256(body).hexdigest()
        assert c.request("GET", "/echo/next").body == b"GET /echo/next 0"


# -- 4. bad requests -----------------------------------------------------------------


BAD_REQUESTS = {
    # name: (bytes, status, what the warning says)
    "16-KiB-header": (build_request("GET", "/", {"X-Big": "b" * 16384}), 431, r"larger than"),
    "16-KiB-request-line": (build_request("GET", "/" + "p" * 16384), 431, r"larger than"),
    "garbage-request-line": (b"GARBAGE\r\nHost: x\r\n\r\n", 400, r"malformed"),
    "header-without-colon": (b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, r"malformed"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_request_is_answered_and_closed(gantry, port, case):
    data, status, reason = BAD_REQUESTS[case]
    g = start_http(gantry, port, "--processes", "2")
    workers = g.wait_for_workers(2)

    result = uwsgi_client.send_raw(f"127.0.0.1:{port}", data, timeout=3)  # reads until close
    assert result.data, f"no response before the connection ended (reset: {result.reset})"
    resp = uwsgi_client.parse_response(result.data)
    assert resp.status == status, result.data[:300]
    assert resp.header("Connection", "").lower() == "close", resp.raw[:300]

    g.wait_for_log(rf"\] warning: .*{reason}.*\b{status}\b", regex=True)
    for _ in range(4):
        with HttpConn(port) as c:
            assert served_by(c.request("GET", "/"))[0] in workers
    assert g.worker_pids() == workers, "no worker may die on a bad request"


# -- 5. closing, HTTP/1.0, response framing ------------------------------------------


def test_connection_close_is_honoured(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/", {"Connection": "close"})
        assert resp.status == 200
        assert resp.header("Connection", "").lower() == "close", resp.raw
        c.wait_closed(2)


def test_http10_without_keepalive_is_closed_after_the_response(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/echo/ten", version="HTTP/1.0")
        assert (resp.status, resp.body) == (200, b"GET /echo/ten 0")
        c.wait_closed(2)


def test_http10_with_keepalive_stays_open(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        for _ in range(3):
            resp = c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0")
            assert served_by(resp)[1] == c.local_port
            assert resp.header("Connection", "").lower() != "close", resp.raw


def test_http10_keepalive_response_says_keep_alive(gantry, port):
    """An HTTP/1.0 client keeps the connection only if the response says so (ab -k,
    old proxies): `Connection: keep-alive`, as nginx and uWSGI send."""
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/", {"Connection": "keep-alive"}, version="HTTP/1.0")
        assert resp.status == 200
        assert resp.header("Connection", "").lower() == "keep-alive", resp.raw


def test_generator_response_is_chunked_list_response_has_a_length(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        for _ in range(2):
            gen = c.request("GET", "/gen")
            assert gen.status == 200
            assert gen.header("Transfer-Encoding", "").lower() == "chunked", gen.raw
            assert gen.header("Content-Length") is None, gen.raw
            assert gen.body == GEN_BODY  # decoded strictly: an empty piece must not end it
            lst = c.request("GET", "/list")
            assert (lst.status, lst.body) == (200, LIST_BODY)
            assert lst.header("Content-Length") == str(len(LIST_BODY)), lst.raw
    with local_session() as s:
        resp = s.get(f"http://127.0.0.1:{port}/gen", timeout=3)
        assert (resp.status_code, resp.content) == (200, GEN_BODY)


def test_http10_generator_response_is_delimited_by_close(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/gen", {"Connection": "keep-alive"}, version="HTTP/1.0")
        assert resp.status == 200
        assert "chunked" not in resp.header("Transfer-Encoding", "").lower(), resp.raw
        assert resp.body == GEN_BODY  # read to the close


@pytest.mark.parametrize("path", ["/", "/gen", "/list"])
def test_head_response_has_no_body(gantry, port, path):
    start_http(gantry, port)
    with HttpConn(port) as c:
        head = c.request("HEAD", path)
        assert head.status == 200, head.raw
        # Any body bytes would now be read as the start of the next response.
        resp = c.request("GET", "/echo/after-head")
        assert (resp.status, resp.body) == (200, b"GET /echo/after-head 0"), resp.raw


def test_204_sends_no_body_though_the_app_gave_one(gantry, port):
    start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/no-content")
        assert (resp.status, resp.body) == (204, b""), resp.raw
        # Body bytes would now be read as the start of the next response.
        resp = c.request("GET", "/echo/after-204")
        assert (resp.status, resp.body) == (200, b"GET /echo/after-204 0"), resp.raw


def test_app_hop_by_hop_headers_are_dropped_and_warned_about(gantry, port):
    g = start_http(gantry, port)
    with HttpConn(port) as c:
        resp = c.request("GET", "/hop")
        assert (resp.status, resp.body) == (200, b"abc"), resp.raw
        assert resp.header("X-Kind") == "hop", resp.raw
        for name in ("Transfer-Encoding", "Keep-Alive", "Upgrade"):
            assert resp.header(name) is None, resp.raw
        assert resp.header("Content-Length") == "3", resp.raw
        resp = c.request("GET", "/echo/after-hop")  # still the same connection
        assert resp.status == 200, resp.raw
    g.wait_for_log("hop-by-hop header(s) Keep-Alive, Transfer-Encoding, Upgrade were dropped")


def test_two_different_content_lengths_are_a_500(gantry, port):
    g = start_http(gantry, port, allow_log_errors=True)
    with HttpConn(port) as c:
        resp = c.request("GET", "/two-lengths")
        assert resp.status == 500, resp.raw
    g.wait_for_log("a second Content-Length")


def test_body_short_of_its_content_length_closes_the_connection(gantry, port):
    """The client would wait for the 5 missing bytes: only the close tells it they won't come."""
    start_http(gantry, port)
    with HttpConn(port) as c:
        c.send(build_request("GET", "/short"))
        c.sock.settimeout(3)
        data = b""
        while chunk := c.sock.recv(65536):  # a timeout here: the connection was kept
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\n01234"), data


# -- 6. no starvation ----------------------------------------------------------------


# -- body errors get a status (the audit's finding 16) -----------------------------------


@pytest.mark.parametrize("extra, body, status", [
    ((), b"zz\r\nabc\r\n0\r\n\r\n", 400),
    (("--limit-post", "1000"), b"%x\r\n%s\r\n0\r\n\r\n" % (2000, b"x" * 2000), 413),
], ids=["bad-chunk", "over-limit-post"])
def test_a_chunked_body_error_is_answered_before_the_close(gantry, port, extra, body, status):
    g = start_http(gantry, port, *extra)
    with HttpConn(port) as c:
        c.send(build_request("POST", "/upload", {"Transfer-Encoding": "chunked"}) + body)
        resp = c.read_response()
        assert resp.status == status, resp.raw[:300]
        assert resp.header("Connection", "").lower() == "close"
        c.wait_closed(timeout=5)
    g.wait_for_log(f"answered {status} and closed")
