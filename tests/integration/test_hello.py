"""examples/hello over the raw uwsgi protocol and through nginx."""

from concurrent.futures import ThreadPoolExecutor

import requests

from paths import EXAMPLES

HELLO = b"Hello, World!\n"


def hello_args(port, *extra):
    return ("--module", "app:application", "--chdir", "examples/hello",
            "--socket", f"127.0.0.1:{port}", *extra)


def test_hello_over_raw_uwsgi(gantry, port):
    g = gantry.start(*hello_args(port))
    resp = g.request("GET", "/")
    assert resp.status == 200
    assert resp.version in ("HTTP/1.0", "HTTP/1.1")
    assert resp.header("Content-Type") == "text/plain"
    assert resp.header("Content-Length") == str(len(HELLO))
    assert resp.body == HELLO


def test_hello_many_paths_and_methods(gantry, port):
    g = gantry.start(*hello_args(port))
    for method, path, query in [("GET", "/a/b", "x=1"), ("POST", "/form", ""),
                                ("GET", "/caf%C3%A9", ""), ("DELETE", "/x", "y=2&z")]:
        resp = g.request(method, path, query=query, body=b"k=v" if method == "POST" else b"")
        assert (resp.status, resp.body) == (200, HELLO), (method, path)


def test_hello_sequential_and_concurrent(gantry, port):
    g = gantry.start(*hello_args(port, "--processes", "2"))
    for _ in range(50):
        assert g.request().body == HELLO
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: g.request().body, range(64)))
    assert bodies == [HELLO] * 64


def test_hello_through_nginx(gantry, nginx, port):
    gantry.start(*hello_args(port))
    site, _ = nginx.render(EXAMPLES / "hello" / "nginx-site.conf", f"127.0.0.1:{port}")
    front = nginx.start(site)
    for path in ("", "some/path?x=1"):
        resp = requests.get(front.url + path, timeout=10)
        assert resp.status_code == 200
        assert resp.content == HELLO
        assert resp.headers["Content-Type"] == "text/plain"
