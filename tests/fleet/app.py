"""The fleet's app: every response names the host that served it.

FLEET_HOST is set per network namespace by the test; FLEET_DELAY_MS (10 by default) keeps each
request in a worker for a moment, so that a host that dies or is cut off really holds requests.
"""

import os
import time

HOST = os.environ.get("FLEET_HOST", "unknown").encode()
DELAY = float(os.environ.get("FLEET_DELAY_MS", "10")) / 1000.0


def application(environ, start_response):
    if DELAY:
        time.sleep(DELAY)
    body = HOST + b"\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
