"""An app for tests/integration/test_protocol_fidelity.py: what a request looks like to the
app, and apps that misuse the server's objects (results, wsgi.input, threads).

/environ         the str values of the environ and the type names of the rest, as JSON.
/read            wsgi.input.read() (read(-1) with ?minus1) under tracemalloc: the bytes got,
                 or the error raised, and the peak of Python allocations while reading.
/bytes           a bare bytes object as the result.
/bytearray       a bare bytearray as the result.
/status          start_response with the X-Status header as the status: "refused: ..." (a
                 200) when start_response raises ValueError.
/header          the same with a header X-Test whose value is the X-Value header.
/raise-status    start_response with the X-Status header, uncaught: a 500 when it raises.
/input-later     hands wsgi.input to a thread that reads it once the response is over.
/input-inflight  hands wsgi.input to a thread that reads 10 bytes while the response goes out.
/thread-result   what the thread of the last /input-* got (waits for it, up to 10 s).
/write-then-read  write()s half of a declared body, then reads wsgi.input (finding 4e).
/shared-list     returns a module-level list of 8 x 1 MiB that a thread empties while the
                 response is being sent; the thread creates ?DIR/cleared once it has.
"""

import json
import os
import threading
import time
import tracemalloc

MiB = 1 << 20
THREAD_DONE = threading.Event()
THREAD_RESULT = {}
SHARED = []


def reply(start_response, payload: bytes, status="200 OK"):
    start_response(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(payload)))])
    return [payload]


def reply_json(start_response, obj):
    return reply(start_response, json.dumps(obj).encode())


def outcome_of(read):
    try:
        data = read()
        return {"data": data.decode("latin-1")}
    except Exception as exc:  # noqa: BLE001 - the type is what the test checks
        return {"error": type(exc).__name__, "message": str(exc)}


def read_body(environ, start_response):
    stream = environ["wsgi.input"]
    minus1 = environ.get("QUERY_STRING") == "minus1"
    tracemalloc.start()
    try:
        got = outcome_of(lambda: stream.read(-1) if minus1 else stream.read())
        got["peak"] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return reply_json(start_response, got)


def with_status(environ, start_response, headers):
    try:
        start_response(environ.get("HTTP_X_STATUS", "200 OK"), headers)
    except ValueError as exc:
        return reply(start_response, f"refused: {exc}".encode())
    return [b"accepted"]


class AfterClose:
    """A result whose close() lets the thread go on."""

    def __init__(self, body, on_close):
        self.body = body
        self.on_close = on_close

    def __iter__(self):
        return iter([self.body])

    def close(self):
        self.on_close()


def hand_input_to_thread(environ, start_response, wait_for_close):
    stream = environ["wsgi.input"]
    THREAD_DONE.clear()
    THREAD_RESULT.clear()
    closed = threading.Event()
    reading = threading.Event()

    def run():
        if wait_for_close:
            closed.wait(10)
            time.sleep(0.05)  # past close(): the request is being released, or is
        reading.set()  # the read starts within this thread's time slice
        THREAD_RESULT.update(outcome_of(lambda: stream.read(10)))
        THREAD_DONE.set()

    threading.Thread(target=run, daemon=True).start()
    if not wait_for_close:
        reading.wait(10)
    start_response("200 OK", [("Content-Length", "7")])
    return AfterClose(b"handed\n", closed.set)


def shared_list(environ, start_response):
    flag_dir = environ["QUERY_STRING"]
    SHARED[:] = [bytes([65 + i]) * MiB for i in range(8)]

    def empty_it():
        time.sleep(0.2)  # the client is not reading: the first item's send is blocked
        SHARED.clear()
        open(os.path.join(flag_dir, "cleared"), "w").close()

    threading.Thread(target=empty_it, daemon=True).start()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return SHARED


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/environ":
        return reply_json(start_response, {
            "environ": {k: v for k, v in environ.items() if isinstance(v, str)},
            "types": {k: type(v).__name__ for k, v in environ.items()},
        })
    if path == "/read":
        return read_body(environ, start_response)
    if path == "/bytes":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return b"a bare bytes body\n"
    if path == "/bytearray":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return bytearray(b"a bare bytearray body\n")
    if path == "/status":
        return with_status(environ, start_response, [])
    if path == "/header":
        return with_status(environ, start_response, [("X-Test", environ.get("HTTP_X_VALUE", ""))])
    if path == "/raise-status":
        start_response(environ["HTTP_X_STATUS"], [])
        return [b"accepted"]
    if path == "/input-later":
        return hand_input_to_thread(environ, start_response, wait_for_close=True)
    if path == "/input-inflight":
        return hand_input_to_thread(environ, start_response, wait_for_close=False)
    if path == "/thread-result":
        THREAD_DONE.wait(10)
        return reply_json(start_response, THREAD_RESULT)
    if path == "/write-then-read":
        write = start_response("200 OK", [("Content-Length", "10")])
        write(b"01234")
        environ["wsgi.input"].read()
        return [b"56789"]
    if path == "/shared-list":
        return shared_list(environ, start_response)
    return reply(start_response, f"path {path}".encode())
