"""Answers with the status a request asks for, for the request-log tests.

A path holding /status/NNN answers NNN with a short body; one holding /sleep/MS sleeps MS
milliseconds, then answers 200; /fail raises (a traceback, and gantry's 500); anything else
answers 200.
"""

import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    status = "200 OK"
    if "/status/" in path:
        status = f"{int(path.rsplit('/', 1)[1])} Chosen"
    elif "/sleep/" in path:
        time.sleep(int(path.rsplit("/", 1)[1]) / 1000)
    elif path == "/fail":
        raise RuntimeError("reqlog app fails on purpose")
    body = f"{path}\n".encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                            ("X-Probe", "1")])
    return [body]
