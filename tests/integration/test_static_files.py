"""--static-map and friends: files served on gantry's I/O side, before any app code, on the
HTTP socket and on uwsgi sockets. Each header rule, the traversal attempts, a 200 MiB file
with Range requests, fall-through to the app, a slow client that holds no request thread.
Raw sockets (HttpConn) so that the exact bytes are seen; apps/http answers what falls
through ("GET /echo/x 0")."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import time
from email.utils import formatdate, parsedate_to_datetime

import pytest

import uwsgi_client
from gantry_proc import free_port
from http_client import HttpConn, build_request, start_http
from procs import wait_until

MiB = 1024 * 1024
CSS = b"body { color: #123456; }\n" * 40


@pytest.fixture
def site(tmp_path):
    """A static folder: text, a gzip sibling, an index, a folder without one, symlinks in and
    out, a Python file, and a secret outside it."""
    root = tmp_path / "static"
    root.mkdir()
    (root / "site.css").write_bytes(CSS)
    (root / "site.css.gz").write_bytes(gzip.compress(CSS))
    (root / "app.js").write_bytes(b"console.log(1);\n")
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_bytes(b"<h1>docs</h1>\n")
    (root / "empty").mkdir()
    (root / "settings.py").write_bytes(b"SECRET = 1\n")
    (root / "inside.css").symlink_to(root / "site.css")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not for you\n")
    (root / "outside.txt").symlink_to(secret)
    return root


def start(gantry, port, site, *extra, **kwargs):
    return start_http(gantry, port, "--static-map", f"/echo={site}",
                      "--static-index", "index.html", "--static-gzip-all",
                      "--static-skip-ext", ".py",
                      "--static-expires-uri", r"\.css$ 3600", *extra, **kwargs)


def get(port, path, headers=(), method="GET"):
    with HttpConn(port) as c:
        return c.request(method, path, headers)


# -- the headers ---------------------------------------------------------------------


def test_a_file_with_its_validators_type_and_cache_rules(gantry, port, site):
    start(gantry, port, site)
    r = get(port, "/echo/site.css")
    assert r.status == 200, r.raw
    assert r.body == CSS
    assert r.header("Content-Type") == "text/css; charset=utf-8"
    assert r.header("Content-Length") == str(len(CSS))
    st = os.stat(site / "site.css")
    assert parsedate_to_datetime(r.header("Last-Modified")).timestamp() == int(st.st_mtime)
    etag = r.header("ETag")
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"', etag), etag  # strong, not W/
    assert r.header("Cache-Control") == "max-age=3600"
    assert r.header("Expires")
    assert r.header("Vary") == "Accept-Encoding"  # a .gz sibling exists
    assert r.header("Accept-Ranges") == "bytes"
    assert r.header("Date")
    # No expiry rule for .js, no sibling: no Cache-Control, no Vary.
    js = get(port, "/echo/app.js")
    assert js.header("Content-Type").startswith("text/javascript"), js.raw
    assert js.header("Cache-Control") is None and js.header("Vary") is None


def test_head_has_the_headers_and_no_body(gantry, port, site):
    start(gantry, port, site)
    with HttpConn(port) as c:
        head = c.request("HEAD", "/echo/site.css")
        assert head.status == 200 and head.body == b""
        assert head.header("Content-Length") == str(len(CSS))
        # The connection is still in step: the next answer is the app's.
        assert c.request("GET", "/echo/app-route").body == b"GET /echo/app-route 0"


def test_conditional_requests_get_304(gantry, port, site):
    start(gantry, port, site)
    first = get(port, "/echo/site.css")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", {etag}'},
                    {"If-None-Match": "*"}, {"If-Modified-Since": modified},
                    {"If-Modified-Since": formatdate(time.time() + 60, usegmt=True)}):
        r = get(port, "/echo/site.css", headers)
        assert r.status == 304, (headers, r.raw)
        assert r.body == b"" and r.header("ETag") == etag
        assert r.header("Content-Length") is None
    for headers in ({"If-None-Match": '"other"'},
                    {"If-Modified-Since": formatdate(time.time() - 86400 * 400, usegmt=True)},
                    # If-None-Match decides alone when both are sent
                    {"If-None-Match": '"other"', "If-Modified-Since": modified}):
        assert get(port, "/echo/site.css", headers).status == 200, headers


def test_failed_preconditions_get_412(gantry, port, site):
    start(gantry, port, site)
    first = get(port, "/echo/site.css")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    long_ago = formatdate(time.time() - 86400 * 400, usegmt=True)
    for headers in ({"If-Match": '"other"'}, {"If-Match": "W/" + etag},
                    {"If-Unmodified-Since": long_ago},
                    # a failed If-Match comes before If-None-Match and Range
                    {"If-Match": '"other"', "If-None-Match": etag, "Range": "bytes=0-3"}):
        r = get(port, "/echo/site.css", headers)
        assert r.status == 412, (headers, r.raw)
        assert r.body == b"" and r.header("Content-Length") == "0"
        assert r.header("Content-Type") is None and r.header("Cache-Control") is None
    # A 412 keeps the connection: the next request on it gets the whole file.
    with HttpConn(port) as c:
        assert c.request("GET", "/echo/site.css", {"If-Match": '"other"'}).status == 412
        assert c.request("GET", "/echo/site.css").body == first.body
    for headers in ({"If-Match": etag}, {"If-Match": "*"}, {"If-Match": f'"x", {etag}'},
                    {"If-Unmodified-Since": modified},
                    {"If-Match": etag, "If-Unmodified-Since": long_ago}):
        r = get(port, "/echo/site.css", headers)
        assert r.status == 200 and r.body == first.body, (headers, r.raw)
    r = get(port, "/echo/site.css", {"If-Match": etag, "Range": "bytes=0-3"})
    assert r.status == 206 and r.body == first.body[:4]


def test_a_changed_file_gets_a_new_etag(gantry, port, site):
    start(gantry, port, site)
    old = get(port, "/echo/app.js").header("ETag")
    (site / "app.js").write_bytes(b"console.log(2);\n")
    os.utime(site / "app.js", (time.time() + 5, time.time() + 5))
    r = get(port, "/echo/app.js", {"If-None-Match": old})
    assert r.status == 200 and r.body == b"console.log(2);\n"
    assert r.header("ETag") != old


def test_single_ranges(gantry, port, site):
    start(gantry, port, site)
    size = len(CSS)
    etag = get(port, "/echo/site.css").header("ETag")
    cases = {"bytes=0-9": (0, 9), "bytes=10-": (10, size - 1), "bytes=-5": (size - 5, size - 1),
             f"bytes=5-{size * 10}": (5, size - 1)}
    for spec, (first, last) in cases.items():
        r = get(port, "/echo/site.css", {"Range": spec})
        assert r.status == 206, (spec, r.raw)
        assert r.body == CSS[first:last + 1], spec
        assert r.header("Content-Range") == f"bytes {first}-{last}/{size}", spec
        assert r.header("Content-Length") == str(last - first + 1)
    r = get(port, "/echo/site.css", {"Range": f"bytes={size}-"})
    assert r.status == 416 and r.header("Content-Range") == f"bytes */{size}", r.raw
    # Several ranges, or another unit: the whole file.
    for spec in ("bytes=0-1,5-6", "items=0-1", "bytes=x-y"):
        r = get(port, "/echo/site.css", {"Range": spec})
        assert r.status == 200 and r.body == CSS, spec
    # If-Range: the range only while the validator still holds.
    assert get(port, "/echo/site.css", {"Range": "bytes=0-3", "If-Range": etag}).status == 206
    assert get(port, "/echo/site.css", {"Range": "bytes=0-3", "If-Range": '"stale"'}).status == 200
    assert get(port, "/echo/site.css", {"Range": "bytes=0-3", "If-Range": "W/" + etag}).status == 200


def test_gzip_sibling_when_accepted(gantry, port, site):
    start(gantry, port, site)
    r = get(port, "/echo/site.css", {"Accept-Encoding": "br;q=0, gzip"})
    assert r.status == 200, r.raw
    assert r.header("Content-Encoding") == "gzip"
    assert r.header("Content-Type") == "text/css; charset=utf-8"
    assert gzip.decompress(r.body) == CSS
    assert r.header("Vary") == "Accept-Encoding"
    plain = get(port, "/echo/site.css", {"Accept-Encoding": "gzip;q=0"})
    assert plain.header("Content-Encoding") is None and plain.body == CSS


def test_index_and_folders(gantry, port, site):
    start(gantry, port, site)
    r = get(port, "/echo/docs/")
    assert r.status == 200 and r.body == b"<h1>docs</h1>\n", r.raw
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert get(port, "/echo/empty/").status == 403  # static-map: a folder without an index


# -- safety --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/echo/../app.py", "/echo/%2e%2e/secret.txt",
                                  "/echo/.%2E/secret.txt", "/echo/docs%2f..%2f..%2fsecret.txt",
                                  "/echo/site.css%00.png", "/echo/docs/%5c..%5csecret.txt",
                                  "/echo/%zz"])
def test_traversal_attempts_are_refused(gantry, port, site, path):
    g = start(gantry, port, site)
    r = get(port, path)
    assert r.status == 400, (path, r.raw)
    assert b"not for you" not in r.body
    # Said in the log: by the static side ("GET /echo/..: a '..' segment (400)"), or for a
    # %00 already by the HTTP parser.
    assert g.wait_for_log(r"warning: worker 1: .*(400|NUL)", regex=True)


def test_symlinks_inside_are_followed_outside_refused(gantry, port, site, tmp_path):
    start(gantry, port, site)
    assert get(port, "/echo/inside.css").body == CSS
    r = get(port, "/echo/outside.txt")
    assert r.status == 403 and b"not for you" not in r.body, r.raw


def test_static_safe_allows_a_symlink_into_it(gantry, port, site, tmp_path):
    start(gantry, port, site, "--static-safe", str(tmp_path))
    assert get(port, "/echo/outside.txt").body == b"not for you\n"


def test_skipped_extensions_missing_files_and_other_methods_fall_through(gantry, port, site):
    start(gantry, port, site)
    assert get(port, "/echo/settings.py").body == b"GET /echo/settings.py 0"
    assert get(port, "/echo/missing.txt").body == b"GET /echo/missing.txt 0"
    with HttpConn(port) as c:
        r = c.request("POST", "/echo/site.css", body=b"abc")
        assert r.body == b"POST /echo/site.css 3"


def test_a_fifo_is_refused_without_hanging(gantry, port, site):
    os.mkfifo(site / "pipe.css")
    start(gantry, port, site)
    assert get(port, "/echo/pipe.css").status == 403


# -- size and slowness ---------------------------------------------------------------


def test_200_mib_file_whole_and_in_ranges(gantry, port, site):
    big = site / "big.bin"
    size = 200 * MiB
    marks = {0: b"START", 100 * MiB: b"MIDDLE", size - 3: b"END"}
    with open(big, "wb") as f:
        f.truncate(size)
        for at, mark in marks.items():
            f.seek(at)
            f.write(mark)
    start(gantry, port, site)
    for at, mark in marks.items():
        r = get(port, "/echo/big.bin", {"Range": f"bytes={at}-{at + len(mark) - 1}"})
        assert (r.status, r.body) == (206, mark), at
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(build_request("GET", "/echo/big.bin", {"Connection": "close"}))
        received, head = 0, b""
        while b"\r\n\r\n" not in head:
            head += s.recv(65536)
        head, _, rest = head.partition(b"\r\n\r\n")
        assert b"Content-Length: %d" % size in head, head
        received = len(rest)
        while chunk := s.recv(4 * MiB):
            received += len(chunk)
    assert received == size


def test_a_slow_download_holds_no_request_thread(gantry, port, site):
    (site / "slow.bin").write_bytes(os.urandom(16 * MiB))
    g = start(gantry, port, site, "--processes", "1", "--threads", "1")
    slow = HttpConn(port, timeout=10, rcvbuf=4096)
    try:
        slow.send(build_request("GET", "/echo/slow.bin"))
        slow.sock.recv(100)  # it has begun
        # The one request thread is free: the app answers, many times over (HttpConn gives
        # each answer 3 s; a thread held by the download would never answer).
        for n in range(20):
            assert get(port, f"/echo/app-{n}").body == f"GET /echo/app-{n} 0".encode()
    finally:
        slow.close()
    assert g.wait_for_workers(1)


def test_a_file_that_shrinks_while_sent_is_no_crash(gantry, port, site):
    path = site / "shrinks.bin"
    path.write_bytes(os.urandom(32 * MiB))
    g = start(gantry, port, site, "--processes", "1")
    workers = g.wait_for_workers(1)
    slow = HttpConn(port, timeout=10, rcvbuf=4096)
    try:
        slow.send(build_request("GET", "/echo/shrinks.bin"))
        slow.sock.recv(100)
        with open(path, "r+b") as f:
            f.truncate(1000)
        # The client gets a cut response (fewer bytes than Content-Length, then the close).
        got = 0
        while chunk := slow.sock.recv(MiB):
            got += len(chunk)
        assert got < 32 * MiB
    finally:
        slow.close()
    assert get(port, "/echo/app.js").status == 200
    assert g.wait_for_workers(1) == workers  # the same worker serves on


# -- the other paths ----------------------------------------------------------------


def test_keep_alive_static_then_app_then_static(gantry, port, site):
    start(gantry, port, site)
    with HttpConn(port) as c:
        assert c.request("GET", "/echo/site.css").body == CSS
        assert c.request("GET", "/echo/x").body == b"GET /echo/x 0"
        assert c.request("GET", "/echo/app.js").status == 200


def test_on_a_uwsgi_socket(gantry, port, site):
    g = gantry.start("--module", "app:application", "--chdir", "tests/integration/apps/http",
                     "--socket", f"127.0.0.1:{port}", "--static-map", f"/echo={site}")
    r = g.request(path="/echo/site.css")
    assert r.status == 200 and r.body == CSS
    assert r.header("Content-Type") == "text/css; charset=utf-8"
    assert g.request(path="/echo/site.css",
                     headers={"If-None-Match": r.header("ETag")}).status == 304
    assert g.request(path="/echo/missing").body == b"GET /echo/missing 0"


def test_logged_with_a_marker_and_counted_apart(gantry, port, site, tmp_path):
    metrics = free_port()
    g = start(gantry, port, site, "--metrics", f"127.0.0.1:{metrics}")
    get(port, "/echo/site.css")
    get(port, "/echo/x")
    assert g.wait_for_log("GET /echo/site.css => 200").endswith("(static file)")
    with socket.create_connection(("127.0.0.1", metrics), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        text = b""
        while chunk := s.recv(65536):
            text += chunk
    text = text.decode()
    assert 'gantry_static_requests_total{status="2xx"} 1' in text, text
    assert 'gantry_requests_total{status="2xx"} 2' in text, text  # the readiness check too


def test_check_static_serves_files_and_leaves_the_rest_to_the_app(gantry, port, site):
    start_http(gantry, port, "--check-static", str(site))
    assert get(port, "/site.css").body == CSS
    # Not files: the app's, even a path the static side would refuse (an API's %2F).
    assert get(port, "/echo/a%2Fb").body == b"GET /echo/a/b 0"
    assert get(port, "/echo/missing").body == b"GET /echo/missing 0"
    # A folder without an index under check-static: the app's too (its 404 here).
    assert get(port, "/empty/").status == 404
