"""The app for the cron and Python API tests.

@gantry.postfork records "worker_id pid" in each worker; /api answers what the gantry and
uwsgi modules say in the worker that serves it; /reload calls gantry.reload().
"""

import json
import os

import gantry
import uwsgi

from recorder import record


@gantry.postfork
def announce_worker():
    record("postfork", gantry.worker_id(), os.getpid(), os.getppid())


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/api":
        data = {
            "pid": os.getpid(),
            "worker_id": gantry.worker_id(),
            "uwsgi_worker_id": uwsgi.worker_id(),
            "numproc": gantry.numproc,
            "uwsgi_numproc": uwsgi.numproc,
            "masterpid": gantry.masterpid(),
            "uwsgi_masterpid": uwsgi.masterpid(),
        }
    elif path == "/reload":
        data = {"pid": os.getpid(), "reload": gantry.reload()}
    else:
        data = {"pid": os.getpid()}
    body = json.dumps(data).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
