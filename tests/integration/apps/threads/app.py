"""Request threads and the app's own threads, for tests/integration/test_threads.py.

A background thread starts when the module is imported and counts every 10 ms;
/start-ticker starts another one from inside a request (so in the worker, after
any fork). /ticks reports both counters and whether each thread is alive.
"""

import json
import os
import threading
import time

TICKS = {"import": 0, "request": 0}
THREADS = {}
READING = {"started": 0}  # /read-all requests that reached the app
BIG = {"chunks": 0}  # chunks of /big handed to gantry so far


def tick(name):
    while True:
        TICKS[name] += 1
        time.sleep(0.01)


def start_ticker(name):
    if name not in THREADS:
        THREADS[name] = threading.Thread(target=tick, args=(name,), name=f"ticker-{name}",
                                         daemon=True)
        THREADS[name].start()


start_ticker("import")


def reply(start_response, obj):
    payload = json.dumps(obj).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(payload)))])
    return [payload]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/sleep":
        started = time.monotonic()
        time.sleep(0.5)
        return reply(start_response, {"pid": os.getpid(), "thread": threading.get_ident(),
                                      "started": started, "ended": time.monotonic()})
    if path == "/wsgi":
        return reply(start_response, {k: environ[k] for k in
                                      ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once")})
    if path == "/start-ticker":
        start_ticker("request")
        return reply(start_response, {"started": True})
    if path == "/ticks":
        return reply(start_response, {
            "ticks": TICKS,
            "alive": {name: t.is_alive() for name, t in THREADS.items()},
            "reading": READING["started"],
            "big_chunks": BIG["chunks"],
            "pid": os.getpid(),
        })
    if path == "/big":
        def chunks():
            for _ in range(512):
                BIG["chunks"] += 1
                yield b"b" * 65536
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(512 * 65536))])
        return chunks()
    if path == "/read-all":
        READING["started"] += 1
        body = environ["wsgi.input"].read()
        return reply(start_response, {"length": len(body)})
    return reply(start_response, {"pid": os.getpid(), "thread": threading.get_ident()})
