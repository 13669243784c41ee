"""The keep-alive path: nginx's pool of upstream connections (examples/django's
nginx-keepalive-site.conf: `keepalive`, HTTP/1.1, no "Connection: close") in front of
gantry's HTTP socket, and what a trusted proxy's X-Forwarded-For / X-Forwarded-Proto set
(--forwarded-allow-ips)."""

import http.client
import json
import socket

from http_client import start_http
from paths import EXAMPLES


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def environ_of(conn: http.client.HTTPConnection, headers=None) -> dict:
    """GET /environ on `conn` (kept open): the app's environ, as JSON."""
    conn.request("GET", "/environ", headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, body
    return json.loads(body)


def environ_at(port: int, headers=None, source: str | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=(source, 0) if source else None)
    try:
        return environ_of(conn, headers)
    finally:
        conn.close()


FORWARDED = {"X-Forwarded-For": "10.1.1.1, 203.0.113.9", "X-Forwarded-Proto": "https"}


def test_nginx_reuses_its_upstream_connections_and_passes_the_client(gantry, nginx, port):
    start_http(gantry, port)
    site, _ = nginx.render(EXAMPLES / "django" / "nginx-keepalive-site.conf", f"127.0.0.1:{port}")
    front = nginx.start(site)
    nginx_port = int(front.url.rstrip("/").rpartition(":")[2])
    # The client on 127.0.0.2 (all of 127/8 is loopback): nginx sees that address, and
    # connects to gantry from 127.0.0.1; REMOTE_ADDR must be the client's, as behind
    # uwsgi_pass. What the client itself claims in X-Forwarded-For is not believed.
    seen = [environ_at(nginx_port, {"X-Forwarded-For": "6.6.6.6"}, source="127.0.0.2")
            for _ in range(20)]
    for env in seen:
        assert env["REMOTE_ADDR"] == "127.0.0.2", env
        assert env["wsgi.url_scheme"] == "http"
        assert env["HTTP_HOST"] == f"127.0.0.1:{nginx_port}"
        assert env["HTTP_X_FORWARDED_FOR"] == "6.6.6.6, 127.0.0.2"
        assert "HTTP_CONNECTION" not in env  # nothing that would close the upstream
    # 20 requests, one after another, over nginx's kept connection (its source port).
    upstream_ports = {env["REMOTE_PORT"] for env in seen}
    assert len(upstream_ports) <= 2, upstream_ports


def test_a_trusted_peer_sets_remote_addr_and_scheme(gantry, port):
    start_http(gantry, port)  # default: loopback and unix-socket peers are trusted
    env = environ_at(port, FORWARDED)
    assert env["REMOTE_ADDR"] == "203.0.113.9"
    assert env["wsgi.url_scheme"] == "https" and env["HTTPS"] == "on"
    # Per request, on one kept-alive connection: the next one says http, from elsewhere.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        first = environ_of(conn, FORWARDED)
        second = environ_of(conn, {"X-Forwarded-For": "198.51.100.4",
                                   "X-Forwarded-Proto": "http"})
        third = environ_of(conn)
    finally:
        conn.close()
    assert (first["REMOTE_ADDR"], first["wsgi.url_scheme"]) == ("203.0.113.9", "https")
    assert (second["REMOTE_ADDR"], second["wsgi.url_scheme"]) == ("198.51.100.4", "http")
    assert "HTTPS" not in second
    assert (third["REMOTE_ADDR"], third["wsgi.url_scheme"]) == ("127.0.0.1", "http")
    # A last element that is no address leaves the peer's.
    assert environ_at(port, {"X-Forwarded-For": "203.0.113.9, unknown"})["REMOTE_ADDR"] \
        == "127.0.0.1"


def test_an_untrusted_peer_is_not_believed(gantry, port):
    start_http(gantry, port, "--forwarded-allow-ips", "10.0.0.0/8, 2001:db8::1")
    env = environ_at(port, FORWARDED)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["wsgi.url_scheme"] == "http" and "HTTPS" not in env
    assert env["HTTP_X_FORWARDED_FOR"] == FORWARDED["X-Forwarded-For"]  # still there to read


def test_nobody_trusted(gantry, port):
    start_http(gantry, port, "--forwarded-allow-ips", "")
    assert environ_at(port, FORWARDED)["REMOTE_ADDR"] == "127.0.0.1"


def test_a_unix_socket_peer_is_trusted_unless_left_out(gantry, port, tmp_path):
    for allow, expected in ((None, "203.0.113.9"), ("127.0.0.1", "")):
        sock = tmp_path / f"h{len(gantry.instances)}.sock"
        extra = ["--http-socket", str(sock)]
        if allow is not None:
            extra += ["--forwarded-allow-ips", allow]
        g = start_http(gantry, port, *extra)
        conn = UnixHTTPConnection(str(sock))
        try:
            assert environ_of(conn, FORWARDED)["REMOTE_ADDR"] == expected, allow
        finally:
            conn.close()
        g.stop()


def test_a_bad_list_is_a_config_error_naming_the_key(gantry):
    code, out = gantry.run("--module", "app:application", "--http-socket", "127.0.0.1:1",
                           "--forwarded-allow-ips", "127.0.0.1, localhost", "--check-config")
    assert code != 0
    assert "forwarded-allow-ips" in out and "localhost" in out, out
