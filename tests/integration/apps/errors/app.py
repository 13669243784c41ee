"""An app whose /boom raises: gantry must answer 500, log the traceback, and keep the worker."""

import os


class BoomError(RuntimeError):
    pass


def application(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise BoomError("boom from tests/integration/apps/errors")
    if environ["PATH_INFO"] == "/boom-after-start":
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise BoomError("boom after start_response")
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
