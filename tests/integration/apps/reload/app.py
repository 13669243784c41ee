"""The app the reload tests edit: every response names VERSION and the worker's pid.

tests/integration/test_signals.py copies this folder into tmp_path, rewrites the
VERSION line between reloads, and checks which version each response comes from.
/slow?SECONDS logs a line when it starts (so a test knows the request is in
flight), then sleeps.
"""

import os
import sys
import time

VERSION = "v1"


def application(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        seconds = float(environ.get("QUERY_STRING") or 1)
        print(f"slow request started in pid {os.getpid()}", file=sys.stderr, flush=True)
        time.sleep(seconds)
    body = f"{VERSION} pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
