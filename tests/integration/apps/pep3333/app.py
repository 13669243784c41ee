"""Many request shapes behind wsgiref.validate, for tests/integration/test_pep3333.py.

The app is wrapped in `wsgiref.validate.validator`, which checks both sides of
PEP 3333: the environ, wsgi.input, wsgi.errors and the write callable that the
server gives, and what the app does with them. Whatever the validator objects
to (an AssertionError raised from wsgiref/validate.py, a WSGIWarning, which is
turned into an error here, or an iterator collected without close()) is
appended to the file named by `pep3333_settings.VALIDATOR_LOG`: the test
generates that module in its tmp dir and puts it on sys.path (--pythonpath),
then asserts the file stayed empty.

Paths under /raw/ skip the validator on purpose: they break PEP 3333 (a bad
status, a bad header, start_response called twice) to check that gantry
catches it, or they need gantry's own objects (its file_wrapper for the
sendfile() path, read() without a size).
"""

import hashlib
import io
import json
import os
import sys
import traceback
import warnings
from urllib.parse import parse_qs
from wsgiref.validate import WSGIWarning, validator

try:
    import pep3333_settings as settings
except ImportError:  # started by hand: report to stderr only
    settings = None

warnings.simplefilter("error", WSGIWarning)

# Paths whose result iterable had close() called, in order; read back through /state.
CLOSED = []
# Paths where gantry's start_response raised (so no iterable was returned to close).
START_RESPONSE_RAISED = []
# The file object given to the last file_wrapper, to check that close() reached it.
LAST_FILE = {}


class AppBoom(Exception):
    """An application failure the tests provoke on purpose."""


def record_validator_error(what: str) -> None:
    sys.stderr.write(f"pep3333 app: VALIDATOR ERROR: {what}\n")
    if settings is not None:
        with open(settings.VALIDATOR_LOG, "a") as f:
            f.write(what.rstrip() + "\n----\n")


def from_validator(exc: BaseException) -> bool:
    if isinstance(exc, WSGIWarning):
        return True
    if not isinstance(exc, AssertionError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.endswith(os.path.join("wsgiref", "validate.py"))


def check(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:
        if from_validator(exc):
            record_validator_error("".join(traceback.format_exception(exc)))
        raise


def unraisable(info):
    # wsgiref.validate's IteratorWrapper.__del__ asserts that close() was called.
    text = "".join(traceback.format_exception(info.exc_type, info.exc_value, info.exc_traceback))
    if info.exc_type is AssertionError:
        record_validator_error(f"{info.err_msg or 'unraisable'} {info.object!r}:\n{text}")
    else:
        sys.__unraisablehook__(info)


sys.unraisablehook = unraisable


class Recorded:
    """Passes the validator's iterator through, recording what the validator raises."""

    def __init__(self, inner):
        self.inner = inner
        self.it = iter(inner)

    def __iter__(self):
        return self

    def __next__(self):
        return check(next, self.it)

    def close(self):
        check(self.inner.close)


class Body:
    """A response iterable with close(), which records that it was closed."""

    def __init__(self, label, chunks, fail_after=None):
        self.label = label
        self.chunks = chunks
        self.fail_after = fail_after  # raise AppBoom after yielding this many chunks

    def __iter__(self):
        sent = 0
        for chunk in self.chunks:
            if self.fail_after == sent:
                break
            yield chunk
            sent += 1
        if self.fail_after is not None:
            raise AppBoom(f"boom in the body of {self.label}")

    def close(self):
        CLOSED.append(self.label)


def text_headers(extra=()):
    return [("Content-Type", "text/plain")] + list(extra)


def json_response(start_response, obj, status="200 OK"):
    payload = json.dumps(obj).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))])
    return [payload]


# -- reading wsgi.input -------------------------------------------------------------------

def bad_lines(lines, limit=None):
    """Pieces that are not lines: a b"\\n" before the end, or (but for the last piece, or a
    piece cut at `limit`) no b"\\n" at the end."""
    bad = sum(1 for line in lines if b"\n" in line[:-1])
    bad += sum(1 for line in lines[:-1]
               if not line.endswith(b"\n") and (limit is None or len(line) != limit))
    return bad + sum(1 for line in lines if limit is not None and len(line) > limit)


def read_body(method, stream, raw, length):
    """Reads the whole body with one method; returns (body, bad_lines, longest piece)."""
    pieces = []
    if method == "read":
        # wsgiref.validate insists on read(size); read() with no size is gantry's own.
        pieces = [raw.read()]
    elif method == "read_n":
        while chunk := stream.read(8191):
            pieces.append(chunk)
    elif method == "read_past":
        # Asks for more than CONTENT_LENGTH: gets the body, then b"", never a hang.
        while chunk := stream.read(length + 1000):
            pieces.append(chunk)
    elif method == "readline":
        while line := stream.readline():
            pieces.append(line)
    elif method == "readline_n":
        while line := stream.readline(100):
            pieces.append(line)
    elif method == "readlines":
        pieces = stream.readlines()
    elif method == "readlines_hint":
        while lines := stream.readlines(4096):
            pieces.extend(lines)
    elif method == "iter":
        pieces = list(raw)  # gantry's own __iter__ (the validator's calls readline())
    else:
        raise AppBoom(f"unknown read method {method!r}")
    bad = 0
    if method.startswith("readline") or method == "iter":
        bad = bad_lines(pieces, 100 if method == "readline_n" else None)
    return b"".join(pieces), bad, max((len(p) for p in pieces), default=0)


def input_app(environ, start_response, method):
    stream = environ["wsgi.input"]
    raw = getattr(stream, "input", stream)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body, bad, longest = read_body(method, stream, raw, length)
    # At the end, and past CONTENT_LENGTH, every method finds nothing more.
    after = (stream.read(1) + stream.read(1000) + stream.readline() + raw.read()
             + b"".join(stream.readlines()) + b"".join(raw))
    return json_response(start_response, {
        "method": method,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "after_end": len(after),
        "bad_lines": bad,
        "longest": longest,
        "input_terminated": environ.get("wsgi.input_terminated"),
    })


# -- the validated application ------------------------------------------------------------

def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = parse_qs(environ.get("QUERY_STRING", ""))

    if path == "/":
        start_response("204 No Content", [])
        return []
    if path == "/echo":
        return json_response(start_response, {
            "environ": {k: v for k, v in environ.items() if isinstance(v, str)},
            "query": query,
            "wsgi": {k: repr(v) for k, v in environ.items() if k.startswith("wsgi.")},
        })
    if path.startswith("/input/"):
        return input_app(environ, start_response, path[len("/input/"):])
    if path == "/list":
        start_response("200 OK", text_headers())
        return [b"one,", b"", b"two,", b"three"]
    if path == "/single":
        body = b"just one chunk"
        start_response("200 OK", text_headers([("Content-Length", str(len(body)))]))
        return [body]
    if path == "/empty":
        start_response("200 OK", text_headers([("X-Empty", "yes")]))
        return []
    if path == "/empty-chunks":
        start_response("200 OK", text_headers([("X-Empty", "chunks")]))
        return Body("empty-chunks", [b"", b"", b""])
    if path == "/generator":
        start_response("200 OK", text_headers())
        return Body("generator", [b"gen-%d;" % i for i in range(100)])

    if path == "/lazy-start":
        # PEP 3333 lets a generator call start_response on its first iteration.
        def lazy():
            start_response("200 OK", text_headers([("X-Lazy", "yes")]))
            yield b"lazy "
            yield b"body"
        return lazy()
    if path == "/write":
        write = start_response("200 OK", text_headers())
        write(b"hello ")
        write(b"")
        write(b"world")
        return [b"!"]
    if path == "/write-then-generator":
        write = start_response("200 OK", text_headers())
        write(b"written;")
        return Body("write-then-generator", [b"yielded;", b"done"])
    if path == "/file":
        kind = query.get("kind", ["real"])[0]
        return file_response(environ, start_response, kind, int(query.get("offset", ["0"])[0]))

    if path == "/boom-before-start":
        raise AppBoom("boom before start_response")
    if path == "/boom-in-first-chunk":
        start_response("200 OK", text_headers())
        return Body("boom-in-first-chunk", [b"never sent"], fail_after=0)
    if path == "/boom-after-empty-chunk":
        # Nothing non-empty went out, so the head was not sent: still a clean 500.
        start_response("200 OK", text_headers())
        return Body("boom-after-empty-chunk", [b""], fail_after=1)
    if path == "/boom-after-headers":
        start_response("200 OK", text_headers([("Content-Length", "5000")]))
        return Body("boom-after-headers", [b"x" * 1000], fail_after=1)
    if path == "/exc-info-before-headers":
        start_response("200 OK", text_headers())
        try:
            raise AppBoom("changed my mind")
        except AppBoom:
            start_response("503 Service Unavailable", text_headers(), sys.exc_info())
        return Body("exc-info-before-headers", [b"sorry, try later"])
    if path == "/exc-info-after-headers":
        write = start_response("200 OK", text_headers([("Content-Length", "100")]))
        write(b"partial")
        try:
            raise AppBoom("late failure with exc_info")
        except AppBoom:
            # PEP 3333: the headers are out, so this must re-raise the AppBoom.
            start_response("500 Internal Server Error", text_headers(), sys.exc_info())
        return [b"must not be sent"]
    if path == "/content-length-short":
        start_response("200 OK", text_headers([("Content-Length", "5")]))
        return Body("content-length-short", [b"01234567", b"89"])
    if path == "/big":
        size = int(query.get("size", [str(32 << 20)])[0])
        start_response("200 OK", text_headers([("Content-Length", str(size))]))
        return Body("big", (b"b" * 65536 for _ in range(size // 65536)))
    if path == "/state":
        return json_response(start_response, {
            "closed": CLOSED,
            "start_response_raised": START_RESPONSE_RAISED,
            "last_file_closed": LAST_FILE["f"].closed if "f" in LAST_FILE else None,
            "pid": os.getpid(),
        })
    start_response("404 Not Found", text_headers())
    return [b"no such path\n"]


class Reader:
    """A file-like object with read() and close() only: no fileno(), no seek()."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, size=-1):
        return self._data.read(size)

    def close(self):
        self._data.close()

    @property
    def closed(self):
        return self._data.closed


def file_response(environ, start_response, kind, offset):
    size = os.path.getsize(settings.DATA_FILE)
    if kind == "real":
        f = open(settings.DATA_FILE, "rb")
        f.seek(offset)
    else:
        with open(settings.DATA_FILE, "rb") as real:
            data = real.read()
        if kind == "bytesio":
            f = io.BytesIO(data)  # fileno() raises io.UnsupportedOperation
            f.seek(offset)
        else:
            f = Reader(data)
            f.read(offset)
    LAST_FILE["f"] = f
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size - offset))])
    return environ["wsgi.file_wrapper"](f, 4096)


validated = validator(app)


# -- what gantry sees: the validator, or for /raw/ the bare app ----------------------------

BAD_STATUS = {
    "no-reason": "200",
    "no-code": "OK",
    "letters": "20x OK",
    "long-code": "2000 OK",
    "crlf": "200 OK\r\nX-Injected: status",
    "bytes": b"200 OK",
    "int": 200,
}

BAD_HEADERS = {
    "name-space": ("Bad Name", "v"),
    "name-colon": ("X-Colon:", "v"),
    "name-empty": ("", "v"),
    "value-crlf": ("X-Test", "a\r\nX-Injected: header"),
    "value-lf": ("X-Test", "a\nb"),
    "value-cr": ("X-Test", "a\rb"),
    "value-not-latin1": ("X-Test", "snow \u2603"),
    "name-bytes": (b"X-Bytes", "v"),
    "value-bytes": ("X-Test", b"v"),
    "value-int": ("X-Test", 5),
}


def start_or_record(path, start_response, *args):
    """PEP 3333 lets start_response reject bad arguments at once or when it sends them."""
    try:
        start_response(*args)
    except BaseException:
        START_RESPONSE_RAISED.append(path)
        raise


def raw_app(environ, start_response):
    path = environ["PATH_INFO"]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if path.startswith("/raw/status/"):
        start_or_record(path, start_response, BAD_STATUS[path.rsplit("/", 1)[1]], text_headers())
        return Body(path, [b"must not be sent"])
    if path.startswith("/raw/header/"):
        start_or_record(path, start_response, "200 OK",
                        text_headers([BAD_HEADERS[path.rsplit("/", 1)[1]]]))
        return Body(path, [b"must not be sent"])
    if path == "/raw/start-twice":
        start_response("200 OK", text_headers())
        start_or_record(path, start_response, "200 OK", text_headers([("X-Second", "yes")]))
        return Body(path, [b"must not be sent"])
    if path == "/raw/file":
        kind = query.get("kind", ["real"])[0]
        return file_response(environ, start_response, kind, int(query.get("offset", ["0"])[0]))
    start_response("404 Not Found", text_headers())
    return [b"no such raw path\n"]


def application(environ, start_response):
    if environ["PATH_INFO"].startswith("/raw/"):
        return raw_app(environ, start_response)
    return Recorded(check(validated, environ, start_response))
