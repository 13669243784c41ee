"""Asks gantry's Flask example through nginx until it answers: nginx says 502 until gantry's
socket is there. With the pids of the old workers as 4th argument (comma-separated), until they are
all gone and a new one answers: a reload is over. Prints the answers.
Usage: ask_through_nginx.py PORT MASTER_PID LOG [OLD_WORKER_PIDS]"""
import json
import os
import sys
import time
import urllib.request

port, master, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
old_workers = {int(p) for p in sys.argv[4].split(",") if p} if len(sys.argv) > 4 else set()
deadline = time.monotonic() + 60
last = None
while time.monotonic() < deadline:
    if not os.path.exists(f"/proc/{master}"):
        sys.exit(f"fresh_root: gantry exited: {open(log).read() if os.path.exists(log) else ''}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=5) as r:
            body = r.read().decode()
        info = json.loads(body)
        if info["pid"] in old_workers or any(os.path.exists(f"/proc/{p}") for p in old_workers):
            time.sleep(0.1)
            continue
        print(f"fresh_root: GET /api/info through nginx -> {r.status} {body.strip()[:200]}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            page = r.read().decode()
        print(f"fresh_root: GET / -> {r.status}, {len(page)} bytes, Server: {r.headers.get('Server')}")
        sys.exit(0)
    except OSError as e:
        last = e
        time.sleep(0.2)
sys.exit(f"fresh_root: no answer in 60 s: {last}")
