"""A small uwsgi-protocol client that talks to gantry the way nginx does.

The packet is `modifier1 (u8) | datasize (u16 LE) | modifier2 (u8)`, then
`datasize` bytes of vars (`key_len u16 LE, key, val_len u16 LE, value`...),
then the request body. The vars are the ones nginx sends: the names come from
the stock /etc/nginx/uwsgi_params, plus one HTTP_* var per request header
(nginx's `uwsgi_pass_request_headers on`).
"""

from __future__ import annotations

import functools
import re
import socket
import struct
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

UWSGI_PARAMS_FILE = Path("/etc/nginx/uwsgi_params")

_PARAM_LINE = re.compile(r"^\s*uwsgi_param\s+(\S+)\s+(\S+?)(\s+if_not_empty)?\s*;")


@functools.lru_cache(maxsize=None)
def load_uwsgi_params(path: Path = UWSGI_PARAMS_FILE) -> list[tuple[str, str, bool]]:
    """(NAME, nginx value expression, if_not_empty) for each uwsgi_param line."""
    params = []
    for line in path.read_text().splitlines():
        m = _PARAM_LINE.match(line)
        if m:
            params.append((m.group(1), m.group(2), bool(m.group(3))))
    if not params:
        raise RuntimeError(f"no uwsgi_param lines found in {path}")
    return params


def _to_bytes(value) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("latin-1")


def nginx_vars(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    server_port: int = 80,
    remote_port: int = 54321,
    server_name: str = "",
) -> list[tuple[bytes, bytes]]:
    """The vars nginx would send for this request, in nginx's order.

    `path` is the raw (percent-encoded) path; PATH_INFO gets it decoded, as
    nginx's $document_uri, and REQUEST_URI keeps it raw.
    """
    headers = dict(headers or {})
    lower = {k.lower(): v for k, v in headers.items()}
    if body or method in ("POST", "PUT", "PATCH"):
        headers.setdefault("Content-Length", str(len(body)))
        lower.setdefault("content-length", str(len(body)))
    headers.setdefault("User-Agent", "gantry-tests/1.0")
    headers.setdefault("Accept", "*/*")
    request_uri = path + (f"?{query}" if query else "")
    nginx_values = {
        "$query_string": query,
        "$args": query,
        "$request_method": method,
        "$content_type": lower.get("content-type", ""),
        "$content_length": lower.get("content-length", ""),
        "$request_uri": request_uri,
        "$document_uri": urllib.parse.unquote_to_bytes(path),
        "$uri": urllib.parse.unquote_to_bytes(path),
        "$document_root": "/usr/share/nginx/html",
        "$server_protocol": "HTTP/1.1",
        "$scheme": "http",
        "$https": "",
        "$remote_addr": "127.0.0.1",
        "$remote_port": str(remote_port),
        "$server_addr": "127.0.0.1",
        "$server_port": str(server_port),
        "$server_name": server_name,  # empty, as for a site without server_name
        "$host": host,
        "$http_host": host,
    }
    out: list[tuple[bytes, bytes]] = []
    sent_names = set()
    for name, expr, if_not_empty in load_uwsgi_params():
        if expr not in nginx_values:
            raise KeyError(f"uwsgi_params uses {expr}, which uwsgi_client does not know")
        value = _to_bytes(nginx_values[expr])
        if if_not_empty and not value:
            continue
        out.append((name.encode(), value))
        sent_names.add(name)
    # nginx then passes every request header, skipping names the params set.
    all_headers = {"Host": host, **headers}
    for hname, hvalue in all_headers.items():
        var = "HTTP_" + hname.upper().replace("-", "_")
        if var in sent_names:
            continue
        out.append((var.encode(), _to_bytes(hvalue)))
    return out


def encode_vars(pairs) -> bytes:
    chunks = []
    for key, value in pairs:
        key, value = _to_bytes(key), _to_bytes(value)
        chunks.append(struct.pack("<H", len(key)) + key + struct.pack("<H", len(value)) + value)
    return b"".join(chunks)


def encode_packet(pairs, body: bytes = b"", modifier1: int = 0, modifier2: int = 0) -> bytes:
    block = encode_vars(pairs)
    return header(len(block), modifier1, modifier2) + block + body


def header(datasize: int, modifier1: int = 0, modifier2: int = 0) -> bytes:
    return struct.pack("<BHB", modifier1, datasize, modifier2)


def connect(address: str, timeout: float) -> socket.socket:
    """address: "HOST:PORT", ":PORT", a unix socket path (starting with "/"), or "@name"
    (an abstract unix socket, as uwsgitop takes it)."""
    if address.startswith("@"):
        sock, target = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), "\0" + address[1:]
    elif address.startswith("/"):
        sock, target = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), address
    else:
        host, _, port = address.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host or "127.0.0.1", int(port))
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except BaseException:
        sock.close()
        raise
    return sock


@dataclass
class RawResult:
    data: bytes  # everything received before the peer closed
    reset: bool  # the peer reset the connection (or broke our send)


def send_raw(address: str, data: bytes, timeout: float = 10.0, shutdown_write: bool = False) -> RawResult:
    """Send bytes, then read until gantry closes the connection.

    Raises socket.timeout if gantry neither answers nor closes within `timeout`.
    """
    received = bytearray()
    reset = False
    with connect(address, timeout) as sock:
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            reset = True
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            reset = True
    return RawResult(bytes(received), reset)


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes = field(repr=False)

    def header(self, name: str, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class ProtocolError(Exception):
    pass


def parse_response(raw: bytes) -> Response:
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ProtocolError(f"no end of HTTP head in response: {raw[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^(HTTP/1\.[01]) (\d{3})(?: (.*))?$", lines[0])
    if not m:
        raise ProtocolError(f"bad status line: {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"bad header line: {line!r}")
        headers.append((name.strip(), value.strip()))
    resp = Response(int(m.group(2)), m.group(3) or "", m.group(1), headers, b"", raw)
    te = resp.header("Transfer-Encoding", "")
    length = resp.header("Content-Length")
    if "chunked" in te.lower():
        resp.body = _dechunk(rest)
    elif length is not None:
        if len(rest) != int(length):
            raise ProtocolError(f"Content-Length {length} but {len(rest)} body bytes received")
        resp.body = rest
    else:
        resp.body = rest
    return resp


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while True:
        line, sep, data = data.partition(b"\r\n")
        if not sep:
            raise ProtocolError("truncated chunked body")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[:size]
        data = data[size + 2:]


def request(
    address: str,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    extra_vars=(),
) -> Response:
    """One request as nginx would send it; returns the parsed HTTP response."""
    pairs = nginx_vars(method, path, query, body, headers) + list(extra_vars)
    result = send_raw(address, encode_packet(pairs, body), timeout=timeout)
    return parse_response(result.data)
