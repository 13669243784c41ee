"""A streamed (generator) response of 100 MiB stays flat in the worker's memory: each piece
is sent and let go before the next is asked for, on the HTTP socket and on a uwsgi socket."""

import os
import re
import socket
from pathlib import Path

import uwsgi_client
from http_client import APP_DIR, start_http

MIB = 1 << 20
STREAMED_MIB = 100
# What the worker's peak resident memory may grow by while it streams 100 MiB: a piece or
# two in flight, the allocator's slack. Holding the response would be 100 MiB.
GROWTH_LIMIT = 16 * MIB
# Under make test-sanitize ASan holds freed memory in its quarantine (256 MiB): the peak is
# ASan's then, not gantry's, and only the stream itself is checked.
ASAN = os.environ.get("GANTRY_TEST_ASAN") == "1"


def check_growth(before: int, worker: int) -> None:
    growth = peak_rss(worker) - before
    if not ASAN:
        assert growth < GROWTH_LIMIT, f"the worker's peak RSS grew by {growth / MIB:.1f} MiB"


def peak_rss(pid: int) -> int:
    """VmHWM: the most the process has ever had resident, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) * 1024


def drain(sock: socket.socket, until: int | None = None) -> int:
    """Reads and drops what comes (up to `until` bytes, or to the close); the count."""
    got = 0
    while until is None or got < until:
        chunk = sock.recv(1 << 18)
        if not chunk:
            break
        got += len(chunk)
    return got


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before the head ended: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_a_100_mib_stream_on_the_http_socket(gantry, port):
    g = start_http(gantry, port, "--processes", "1")
    [worker] = g.worker_pids()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:  # warm the path
        s.sendall(b"GET /stream?1 HTTP/1.1\r\nHost: t\r\n\r\n")
        head, rest = read_head(s)
        assert len(rest) + drain(s, MIB - len(rest)) == MIB
    before = peak_rss(worker)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET /stream?{STREAMED_MIB} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        head, rest = read_head(s)
        assert head.startswith(b"HTTP/1.1 200 ") and \
            f"content-length: {STREAMED_MIB * MIB}".encode() in head.lower()
        total = len(rest) + drain(s, STREAMED_MIB * MIB - len(rest))
    assert total == STREAMED_MIB * MIB
    check_growth(before, worker)


def test_a_100_mib_stream_on_a_uwsgi_socket(gantry, port):
    g = gantry.start("--module", "app:application", "--chdir", APP_DIR,
                     "--socket", f"127.0.0.1:{port}", "--processes", "1")
    [worker] = g.worker_pids()
    packet = uwsgi_client.encode_packet(uwsgi_client.nginx_vars("GET", "/stream", query="1"))
    assert uwsgi_client.send_raw(f"127.0.0.1:{port}", packet).data.count(b"\n") >= 1
    before = peak_rss(worker)
    packet = uwsgi_client.encode_packet(
        uwsgi_client.nginx_vars("GET", "/stream", query=str(STREAMED_MIB)))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(packet)
        head, rest = read_head(s)
        assert head.startswith(b"HTTP/1.1 200 ")
        total = len(rest) + drain(s)
    assert total == STREAMED_MIB * MIB
    check_growth(before, worker)
