"""An app that breaks at import once a CRASH file sits beside it (use with --lazy-apps).

tests/integration/test_recycling.py copies this folder into tmp_path, starts gantry
normally, then writes CRASH: "exit3" makes the import call os._exit(3), "raise"
makes it raise. Every worker spawned after that dies right after starting.
"""

import os
from pathlib import Path

_CRASH = Path(__file__).resolve().parent / "CRASH"

if _CRASH.exists():
    if _CRASH.read_text().strip() == "exit3":
        os._exit(3)
    raise RuntimeError("import-time failure requested by the CRASH file")


def application(environ, start_response):
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
