"""Responses for test_uwsgi_path.py: whole ones of any size, and streamed ones, whose
first chunk must not wait for the next."""

import time

PAUSE = 1.0  # between a stream's chunks


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return stream()
    if path == "/stream-with-length":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return stream()
    size = int(environ.get("QUERY_STRING") or 14)
    body = bytes(i % 251 for i in range(size))
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    return [body]


def stream():
    yield b"first"
    time.sleep(PAUSE)
    yield b"later"
