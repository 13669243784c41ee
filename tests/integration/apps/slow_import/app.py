"""An app whose import takes a while once a SLOW file sits beside it (use with --lazy-apps).

tests/integration/test_signals.py copies this folder into tmp_path and writes SLOW
(seconds) after start-up, so that a worker spawned later is still importing --
not yet serving -- when the test signals the master.
"""

import os
import sys
import time
from pathlib import Path

_SLOW = Path(__file__).resolve().parent / "SLOW"

if _SLOW.exists():
    print(f"slow import started in pid {os.getpid()}", file=sys.stderr, flush=True)
    time.sleep(float(_SLOW.read_text()))
    print(f"slow import finished in pid {os.getpid()}", file=sys.stderr, flush=True)


def application(environ, start_response):
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
