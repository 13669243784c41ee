"""The fleet's app: every response names the host that served it.

FLEET_HOST is set per network namespace by the test; FLEET_DELAY_MS (10 by default) keeps each
request in a worker for a moment, so that a host that dies or is cut off really holds requests; /slow/MS holds one for MS ms.
"""

import os
import time

HOST = os.environ.get("FLEET_HOST", "unknown").encode()
DELAY = float(os.environ.get("FLEET_DELAY_MS", "10")) / 1000.0


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    # /slow/MS: a long request, to have one in flight while the host is stopped.
    delay = int(path[6:]) / 1000.0 if path.startswith("/slow/") and path[6:].isdigit() else DELAY
    if path.startswith("/slow/") and os.environ.get("FLEET_WORKDIR"):
        # Tells the test the request is in a worker's hands (no sleep needed to guess it).
        open(os.path.join(os.environ["FLEET_WORKDIR"], "slow.started"), "w").close()
    if delay:
        time.sleep(delay)
    body = HOST + b"\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
