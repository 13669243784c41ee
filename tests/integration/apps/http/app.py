"""An app for tests/integration/test_http_socket.py (gantry's --http-socket).

/           "pid remote_port" as text, with a Content-Length: cheap, and it shows which
            connection (client port) and which worker served the request.
/echo/...   the method, path and body length, with a Content-Length (for pipelining).
/upload     reads wsgi.input to the end in 64 KiB pieces; returns its length and
            sha256 and whether CONTENT_LENGTH was in the environ.
/environ    the str values of the environ, as JSON.
/gen        a generator with no Content-Length (gantry must chunk it, or close).
/list       a list with no Content-Length (gantry may compute one).
/big        8 MiB in 64 KiB pieces, with a Content-Length (for a slow reader).
/calls      how many requests reached /upload in this worker (for --limit-post).
/meet       waits (up to 5 s) until 3 requests are in it at once: "met" or a 503.
/hold       ?DIR: creates DIR/held, then waits (up to 10 s) until DIR/release exists.
/no-content a 204 with body bytes (which must not be sent).
/hop        hop-by-hop headers of its own (which must not pass) and a list body.
/two-lengths  two different Content-Length headers (a 500).
/short      declares 10 bytes and sends 5.
"""

import hashlib
import json
import os
import threading
import time

CALLS = {"upload": 0}
GEN_PIECES = [b"alpha,", b"", b"beta,", b"gamma" * 1000, b",end\n"]
LIST_PIECES = [b"one,", b"two,", b"three\n"]
BIG_PIECE = bytes(range(256)) * 256  # 64 KiB
BIG_PIECES = 128  # 8 MiB
MEETING = threading.Barrier(3)


def reply(start_response, payload: bytes, content_type="text/plain"):
    start_response("200 OK", [("Content-Type", content_type),
                              ("Content-Length", str(len(payload)))])
    return [payload]


def reply_json(start_response, obj):
    return reply(start_response, json.dumps(obj).encode(), "application/json")


def gen():
    yield from GEN_PIECES


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/":
        return reply(start_response, f"{os.getpid()} {environ.get('REMOTE_PORT')}".encode())
    if path.startswith("/echo/"):
        body = environ["wsgi.input"].read()
        return reply(start_response,
                     f"{environ['REQUEST_METHOD']} {path} {len(body)}".encode())
    if path == "/upload":
        CALLS["upload"] += 1
        stream = environ["wsgi.input"]
        digest = hashlib.sha256()
        length = 0
        while chunk := stream.read(65536):
            digest.update(chunk)
            length += len(chunk)
        return reply_json(start_response, {
            "length": length, "sha256": digest.hexdigest(),
            "CONTENT_LENGTH": environ.get("CONTENT_LENGTH"),
            "has_content_length": "CONTENT_LENGTH" in environ,
        })
    if path == "/environ":
        return reply_json(start_response,
                          {k: v for k, v in environ.items() if isinstance(v, str)})
    if path == "/gen":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/list":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return list(LIST_PIECES)
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(BIG_PIECE) * BIG_PIECES))])
        return (BIG_PIECE for _ in range(BIG_PIECES))
    if path == "/stream":
        # MiB by MiB, each piece a new object: a server that kept the pieces it sent, or
        # read ahead of the socket, would grow with the response.
        mib = int(environ["QUERY_STRING"] or "1")
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(mib << 20))])
        return (bytes([i % 256]) * (1 << 20) for i in range(mib))
    if path == "/meet":
        try:
            MEETING.wait(timeout=5)
        except threading.BrokenBarrierError:
            MEETING.reset()
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        return reply(start_response, b"met")
    if path == "/hold":
        directory = environ["QUERY_STRING"]
        open(os.path.join(directory, "held"), "w").close()
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(directory, "release")):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        return reply(start_response, b"released")
    if path == "/no-content":
        start_response("204 No Content", [("X-Kind", "none")])
        return [b"oops"]
    if path == "/hop":
        start_response("200 OK", [("Transfer-Encoding", "chunked"), ("Keep-Alive", "timeout=1"),
                                  ("Upgrade", "h2c"), ("X-Kind", "hop")])
        return [b"abc"]
    if path == "/two-lengths":
        start_response("200 OK", [("Content-Length", "3"), ("Content-Length", "4")])
        return [b"abc"]
    if path == "/short":
        start_response("200 OK", [("Content-Length", "10")])
        return [b"01234"]
    if path == "/calls":
        return reply_json(start_response, CALLS)
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
