"""Requests that keep a worker busy, for the harakiri and recycling tests.

/harakiri sleeps 5 s inside gantry_harakiri_victim_sleeps_here, a name distinctive
enough to find in the traceback gantry dumps before it kills the worker.
/work takes a few milliseconds; /grow keeps 64 MB more in the worker (for
--reload-on-rss); every response names the worker's pid.
"""

import os
import time

HELD = []


def gantry_harakiri_victim_sleeps_here(seconds):
    time.sleep(seconds)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/harakiri":
        gantry_harakiri_victim_sleeps_here(5)
    elif path == "/work":
        time.sleep(0.005)
    elif path == "/grow":
        HELD.append(b"\x01" * (64 << 20))  # written, so resident
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
