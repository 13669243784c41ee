"""The apps under test: where each lives, the request the load sends, and how to tell a
correct answer from a wrong one (status and body, checked before every measured run)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

APPS_DIR = Path(__file__).resolve().parent / "apps"
MIB = 1 << 20
BIG_BODY = bytes(i % 251 for i in range(MIB))  # what apps/big_response.py sends


@dataclass(frozen=True)
class App:
    name: str
    module: str                            # MODULE:CALLABLE, importable from APPS_DIR
    check: Callable[[bytes], str | None]   # body -> None, or what is wrong with it
    post_bytes: int = 0                    # request body size (0: a GET)


def _exact(expected: bytes) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        if body == expected:
            return None
        return f"body {body[:60]!r}... ({len(body)} bytes), expected {expected[:60]!r} ({len(expected)} bytes)"
    return check


def _flask(body: bytes) -> str | None:
    try:
        if json.loads(body) == {"message": "Hello, World!", "items": list(range(10))}:
            return None
    except ValueError:
        pass
    return f"unexpected JSON {body[:80]!r}"


def _django(body: bytes) -> str | None:
    if b"<h1>Gantry bench</h1>" in body and b"<li>Item 19: 23.75</li>" in body:
        return None
    return f"not the rendered template: {body[:80]!r}"


def _django_wait(body: bytes) -> str | None:
    # The view reports how long it slept: proof that the request went through Django to
    # /wait/ and really waited, rather than through the template view or an error page.
    found = re.fullmatch(rb"waited (\d+\.\d+) ms\n", body)
    if found is None:
        return f"not the /wait/ view's answer: {body[:80]!r}"
    if float(found.group(1)) < 5.0:
        return f"the /wait/ view did not wait 5 ms: {body!r}"
    return None


APPS = {a.name: a for a in (
    App("hello", "hello:application", _exact(b"Hello, World!\n")),
    App("flask", "flask_json:app", _flask),
    App("django", "djsite.wsgi:application", _django),
    App("1mib-response", "big_response:application", _exact(BIG_BODY)),
    App("1mib-upload", "upload:application", _exact(b"%d\n" % MIB), post_bytes=MIB),
)}

# Loaded by bench/scaling.py only: kept out of APPS, run.py's default list, so that `make
# bench` keeps its scope and length (at its 2 workers a 5 ms wait measures the sleep).
# A Django view waiting 5 ms on I/O (a database call's stand-in), at /wait/.
EXTRA_APPS = {a.name: a for a in (
    App("django-wait", "djsite.wsgi:wait_application", _django_wait),
)}
