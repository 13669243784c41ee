"""The app for the privilege tests: who the worker runs as, and a reload the app asks for.

/ names the worker's pid; /ids answers its real, effective and saved uid and gid and its
supplementary groups as JSON; /reload calls gantry.reload() (a SIGHUP to the master).
"""

import json
import os

import gantry


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/ids":
        data = {"uids": os.getresuid(), "gids": os.getresgid(), "groups": os.getgroups()}
    elif path == "/reload":
        data = {"reload": gantry.reload()}
    else:
        data = {}
    data["pid"] = os.getpid()
    body = json.dumps(data).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
