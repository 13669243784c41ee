"""The apps `make soak` serves, all in one gantry (see tools/soak.py):

    --module soak_apps:hello                  examples/hello, at /
    --mount /flask=soak_apps:flask            examples/flask
    --mount /django=soak_apps:django          examples/django
    --mount /up=soak_apps:uploads             tests/integration/apps/uploads (hashes a body)

Each is the repo's own app, unchanged, wrapped in `tracked`: the response gets an
`X-Soak-Pid` header (the worker that served it), and a request that carries an
`X-Soak-Id` header is noted, as "PID ID", in the file named by $SOAK_REQUEST_LOG
before the app runs. A request that fails can so be traced to the worker that had
it in hand, even when that worker was killed before it could answer.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_lock = threading.Lock()
_log = {"pid": 0, "fd": -1}


def _note(request_id: str) -> None:
    path = os.environ.get("SOAK_REQUEST_LOG")
    if not path:
        return
    pid = os.getpid()
    with _lock:
        # Opened lazily in each worker (never in the master, whose descriptors the
        # soak counts); a worker forked from a worker would reopen its own.
        if _log["pid"] != pid:
            _log["fd"] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            _log["pid"] = pid
        fd = _log["fd"]
    # One write of a short line to an O_APPEND file: lines never interleave.
    os.write(fd, f"{pid} {request_id}\n".encode())


def tracked(app):
    def wrapped(environ, start_response):
        request_id = environ.get("HTTP_X_SOAK_ID")
        if request_id:
            _note(request_id)
        pid = str(os.getpid())

        def start(status, headers, exc_info=None):
            return start_response(status, [*headers, ("X-Soak-Pid", pid)], exc_info)

        return app(environ, start)

    return wrapped


def _load(name: str, path: Path):
    """Import the file at `path` as module `name` (two examples are both `app.py`)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Flask finds its templates through sys.modules[__name__]
    spec.loader.exec_module(module)
    return module


hello = tracked(_load("soak_hello", REPO / "examples/hello/app.py").application)
flask = tracked(_load("soak_flask", REPO / "examples/flask/app.py").application)
uploads = tracked(_load("soak_uploads", REPO / "tests/integration/apps/uploads/app.py").application)

sys.path.insert(0, str(REPO / "examples/django"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
from mysite.wsgi import application as _django  # noqa: E402

django = tracked(_django)
