"""Returns what the app received: the str values of environ, and the body read from wsgi.input."""

import hashlib
import json


def application(environ, start_response):
    stream = environ["wsgi.input"]
    # Read in three different ways: a sized read, a read of the rest, then a
    # read that must find the stream exhausted (PEP 3333: read() without an
    # argument returns the remainder of the input).
    first = stream.read(10)
    rest = stream.read()
    after = stream.read()
    body = first + rest
    report = {
        "environ": {k: v for k, v in environ.items() if isinstance(v, str)},
        "input": {
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "after_end": len(after),
        },
        "types": {k: type(v).__name__ for k, v in environ.items()},
    }
    payload = json.dumps(report).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(payload)))])
    return [payload]
