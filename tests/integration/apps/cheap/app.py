"""Requests for the cheap-mode and adaptive-pool tests.

/sleep/SECONDS keeps the worker busy that long; every response names the worker's pid.
"""

import os
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path.startswith("/sleep/"):
        time.sleep(float(path.split("/")[2]))
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
