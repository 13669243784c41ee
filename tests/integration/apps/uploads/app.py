"""Request bodies for tests/integration/test_uploads.py.

/upload reads wsgi.input in 64 KiB chunks and hashes it, keeping nothing: what the
worker's memory does during a big upload is gantry's doing. /calls counts the
requests that reached the app, to show that --limit-post refuses a body before
the app is called. /read-all reads the body the simplest way, for the stalled
client case, and lets whatever the stream raises propagate, as apps do.
"""

import hashlib
import json
import os

CALLS = {"upload": 0}


def reply(start_response, obj):
    payload = json.dumps(obj).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(payload)))])
    return [payload]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/upload":
        CALLS["upload"] += 1
        stream = environ["wsgi.input"]
        digest = hashlib.sha256()
        length = 0
        while chunk := stream.read(65536):
            digest.update(chunk)
            length += len(chunk)
        return reply(start_response, {"length": length, "sha256": digest.hexdigest(),
                                      "pid": os.getpid()})
    if path == "/read-all":
        body = environ["wsgi.input"].read()
        return reply(start_response, {"length": len(body)})
    if path == "/calls":
        return reply(start_response, CALLS)
    return reply(start_response, {"pid": os.getpid()})
