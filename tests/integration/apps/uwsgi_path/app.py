"""Responses for test_uwsgi_path.py: whole ones of any size, streamed ones, whose first
chunk must not wait for the next, and one whose close() waits for the test's word."""

import os
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
    if path == "/slow-close":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return SlowClose(environ["QUERY_STRING"])
    size = int(environ.get("QUERY_STRING") or 14)
    body = bytes(i % 251 for i in range(size))
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    return [body]


def stream():
    yield b"first"
    time.sleep(PAUSE)
    yield b"later"


class SlowClose:
    """A body whose close() (PEP 3333) waits until the file `<dir>/release` exists, as
    Django's request_finished handlers may take a while, then leaves `<dir>/closed`."""

    def __init__(self, directory):
        self.directory = directory

    def __iter__(self):
        yield b"done"

    def close(self):
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(self.directory, "release")):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        with open(os.path.join(self.directory, "closed"), "w") as f:
            f.write("closed")
