"""uWSGI 2.0's stats server document: read it, check it field by field, draw it as uwsgitop does.

Written from uWSGI's own description of the document (the StatsServer page of its docs) and
from the code that writes it, `uwsgi_master_generate_stats()` in core/master_utils.c, so that
the same reader works on a real uWSGI's output and on gantry's. uWSGI writes every number
with `uwsgi_stats_keylong` (an unsigned `%llu`) except the cron fields (`keyslong`, signed):
a JSON integer, never a float and never `true`/`false`.
"""

from __future__ import annotations

import json
import re
import socket
import time

import uwsgi_client

# -- the schema ---------------------------------------------------------------------------
#
# Each table maps a key to its JSON type: UINT (an integer >= 0), SINT (any integer), STR,
# LIST or OBJECT. REQUIRED keys are in every uWSGI 2.0 document; OPTIONAL ones appear only
# when uWSGI has the thing (crons only with --cron, uss/pss only after 2.0.21, cores not with
# --stats-no-cores) and are checked when present.

UINT, SINT, STR, LIST, OBJECT = "unsigned integer", "integer", "string", "list", "object"

TOP_REQUIRED = {
    "version": STR, "listen_queue": UINT, "listen_queue_errors": UINT, "signal_queue": UINT,
    "load": UINT, "pid": UINT, "uid": UINT, "gid": UINT, "cwd": STR, "locks": LIST,
    "sockets": LIST, "workers": LIST,
}
TOP_OPTIONAL = {
    "crons": LIST, "daemons": LIST, "caches": LIST, "metrics": OBJECT, "spoolers": LIST,
    "legions": LIST,
}
SOCKET_REQUIRED = {
    "name": STR, "proto": STR, "queue": UINT, "max_queue": UINT, "shared": UINT,
    "can_offload": UINT,
}
WORKER_REQUIRED = {
    "id": UINT, "pid": UINT, "accepting": UINT, "requests": UINT, "delta_requests": UINT,
    "exceptions": UINT, "harakiri_count": UINT, "signals": UINT, "signal_queue": UINT,
    "status": STR, "rss": UINT, "vsz": UINT, "running_time": UINT, "last_spawn": UINT,
    "respawn_count": UINT, "tx": UINT, "avg_rt": UINT, "apps": LIST,
}
WORKER_OPTIONAL = {"uss": UINT, "pss": UINT, "cores": LIST}
APP_REQUIRED = {
    "id": UINT, "modifier1": UINT, "mountpoint": STR, "startup_time": UINT, "requests": UINT,
    "exceptions": UINT, "chdir": STR,
}
CORE_REQUIRED = {
    "id": UINT, "requests": UINT, "static_requests": UINT, "routed_requests": UINT,
    "offloaded_requests": UINT, "write_errors": UINT, "read_errors": UINT, "in_request": UINT,
    "vars": LIST, "req_info": OBJECT,
}
CRON_REQUIRED = {
    "minute": SINT, "hour": SINT, "day": SINT, "month": SINT, "week": SINT, "command": STR,
    "unique": UINT, "pid": SINT, "started_at": UINT,
}
CRON_OPTIONAL = {"legion": STR}  # only in a uWSGI built with SSL

# A worker's status is one of these (uWSGI writes "sig" followed by the signal number).
STATUS = re.compile(r"(idle|busy|cheap|pause|sig\d+)\Z")


def json_type_ok(value, kind: str) -> bool:
    # bool is a subclass of int in Python; in JSON `true` is not a number, so refuse it.
    if kind in (UINT, SINT):
        return isinstance(value, int) and not isinstance(value, bool) and (kind == SINT or value >= 0)
    if kind == STR:
        return isinstance(value, str)
    if kind == LIST:
        return isinstance(value, list)
    return isinstance(value, dict)


def _check_fields(obj, where: str, required: dict, optional: dict | None = None) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected an object, got {type(obj).__name__} ({obj!r:.80})"]
    problems = []
    for key, kind in required.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
    for key, kind in {**required, **(optional or {})}.items():
        if key in obj and not json_type_ok(obj[key], kind):
            value = obj[key]
            problems.append(f"{where}.{key}: expected {kind}, got {type(value).__name__} ({value!r:.80})")
    return problems


def validate(doc) -> list[str]:
    """Every way `doc` differs from uWSGI 2.0's stats schema, as "path: problem" lines
    (an empty list when it conforms). Unknown extra keys are not problems: uWSGI adds
    sections of its own (caches, metrics...) depending on its options."""
    problems = _check_fields(doc, "$", TOP_REQUIRED, TOP_OPTIONAL)
    if not isinstance(doc, dict):
        return problems
    for i, lock in enumerate(doc.get("locks") or []):
        where = f"$.locks[{i}]"
        # uWSGI writes each lock as {"name": pid of its holder}.
        if not isinstance(lock, dict) or len(lock) != 1:
            problems.append(f"{where}: expected an object with one key, got {lock!r:.80}")
        elif not json_type_ok(next(iter(lock.values())), UINT):
            problems.append(f"{where}: expected an unsigned integer value, got {lock!r:.80}")
    for i, sock in enumerate(doc.get("sockets") or []):
        problems += _check_fields(sock, f"$.sockets[{i}]", SOCKET_REQUIRED)
    for i, worker in enumerate(doc.get("workers") or []):
        problems += _validate_worker(worker, f"$.workers[{i}]")
    if isinstance(doc.get("crons"), list):
        for i, cron in enumerate(doc["crons"]):
            problems += _check_fields(cron, f"$.crons[{i}]", CRON_REQUIRED, CRON_OPTIONAL)
    return problems


def _validate_worker(worker, where: str) -> list[str]:
    problems = _check_fields(worker, where, WORKER_REQUIRED, WORKER_OPTIONAL)
    if not isinstance(worker, dict):
        return problems
    status = worker.get("status")
    if isinstance(status, str) and not STATUS.match(status):
        problems.append(f"{where}.status: {status!r} is none of idle, busy, cheap, pause, sigN")
    if isinstance(worker.get("apps"), list):
        for j, app in enumerate(worker["apps"]):
            problems += _check_fields(app, f"{where}.apps[{j}]", APP_REQUIRED)
    if isinstance(worker.get("cores"), list):
        for j, core in enumerate(worker["cores"]):
            problems += _validate_core(core, f"{where}.cores[{j}]")
    return problems


def _validate_core(core, where: str) -> list[str]:
    problems = _check_fields(core, where, CORE_REQUIRED)
    if not isinstance(core, dict):
        return problems
    if json_type_ok(core.get("in_request"), UINT) and core["in_request"] > 1:
        problems.append(f"{where}.in_request: expected 0 or 1, got {core['in_request']!r}")
    # vars: the request's uwsgi vars as "KEY=VALUE" strings while the core is in a request,
    # closed by an empty string (uwsgi_stats_dump_vars); [] otherwise.
    variables = core.get("vars")
    if isinstance(variables, list):
        for k, var in enumerate(variables):
            last = k == len(variables) - 1
            if not isinstance(var, str) or ("=" not in var and not (last and var == "")):
                problems.append(f"{where}.vars[{k}]: expected a \"KEY=VALUE\" string, got {var!r:.80}")
    # req_info: {} or {"request_start": seconds since the epoch} (uwsgi_stats_dump_request).
    info = core.get("req_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if key != "request_start" or not json_type_ok(value, UINT):
                problems.append(f"{where}.req_info: unexpected {key!r}: {value!r:.80}")
    return problems


def key_paths(doc) -> dict[str, set[str]]:
    """The keys at each level of the document: "$", "$.sockets[]", "$.workers[]",
    "$.workers[].apps[]", "$.workers[].cores[]" -> the union of keys seen there."""
    levels: dict[str, set[str]] = {"$": set(doc)}

    def add(level, objs):
        for obj in objs or []:
            if isinstance(obj, dict):
                levels.setdefault(level, set()).update(obj)

    add("$.sockets[]", doc.get("sockets"))
    add("$.workers[]", doc.get("workers"))
    for worker in doc.get("workers") or []:
        if isinstance(worker, dict):
            add("$.workers[].apps[]", worker.get("apps"))
            add("$.workers[].cores[]", worker.get("cores"))
    return levels


# -- reading ------------------------------------------------------------------------------


def _read_to_eof(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def read_stats_raw(address: str, timeout: float = 5.0) -> bytes:
    """Connect, send nothing, read until the server closes: what uwsgitop does."""
    with uwsgi_client.connect(address, timeout) as sock:
        return _read_to_eof(sock)


def read_stats(address: str, timeout: float = 5.0):
    """The stats document at `address`, parsed (a ValueError says what was not JSON)."""
    raw = read_stats_raw(address, timeout)
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise ValueError(f"stats at {address} are not JSON ({exc}): {raw[:300]!r}") from None


class HttpStats:
    """What a --stats-http listener answered: status, headers (lower-case names), the body
    and the parsed document."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def doc(self):
        return json.loads(self.body.decode("utf-8"))


def read_stats_http(address: str, path: str = "/", timeout: float = 5.0) -> HttpStats:
    """GET `path` from a --stats-http listener and strip the HTTP head. uWSGI answers
    HTTP/1.0 with no Content-Length and closes; a Content-Length or a chunked body is
    honoured too, so the reader does not depend on which one the server chose."""
    host = address if ":" in address and not address.startswith("/") else "localhost"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: */*\r\n\r\n"
    with uwsgi_client.connect(address, timeout) as sock:
        sock.sendall(request.encode("latin-1"))
        raw = _read_to_eof(sock)
    resp = uwsgi_client.parse_response(raw)  # Content-Length, chunked or read to the close
    return HttpStats(resp.status, {k.lower(): v for k, v in resp.headers}, resp.body)


# -- uwsgitop's table ---------------------------------------------------------------------
#
# uwsgitop (xrmx/uwsgitop, one Python file) draws, every second, a header line, a node line
# and one row per worker sorted by requests, most first. Its RPS is the change of a worker's
# `requests` since the previous read divided by the seconds between the reads (0 requests
# before the first read). These functions compute the same columns, as plain text.

COLUMNS = ["WID", "%", "PID", "REQ", "RPS", "EXC", "SIG", "STATUS", "AVG", "RSS", "VSZ", "TX",
           "ReSpwn", "HC", "RunT", "LastSpwn"]


def human_size(n: int) -> str:
    """Bytes as uwsgitop shows them: 1.5G, 12.0M, 3.2K or a plain count."""
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(int(n))


def _running_time(microseconds: int) -> str:
    ms = microseconds / 1000  # uwsgitop shows milliseconds, in minutes once that gets long
    return f"{ms / 60000}m" if ms > 9999999 else str(ms)


def top_rows(doc, previous=None, interval: float = 1.0) -> list[dict[str, str]]:
    """One dict per worker, COLUMNS -> the cell text, in uwsgitop's order. `previous` is the
    document of the read `interval` seconds earlier (None: the first read)."""
    before = {w["id"]: w["requests"] for w in (previous or {}).get("workers", [])}
    workers = sorted(doc["workers"], key=lambda w: w["requests"], reverse=True)
    total = sum(w["requests"] for w in workers)
    rows = []
    for w in workers:
        rps = (w["requests"] - before.get(w["id"], 0)) / interval if interval > 0 else 0.0
        rows.append({
            "WID": str(w["id"]),
            "%": f"{(100.0 * w['requests'] / total) if total else 0.0:.1f}",
            "PID": str(w["pid"]),
            "REQ": str(w["requests"]),
            "RPS": str(int(round(rps))),
            "EXC": str(w["exceptions"]),
            "SIG": str(w.get("signals", 0)),
            "STATUS": w["status"],
            "AVG": f"{w['avg_rt'] // 1000}ms",
            "RSS": human_size(w["rss"]),
            "VSZ": human_size(w["vsz"]),
            "TX": human_size(w["tx"]),
            "ReSpwn": str(w["respawn_count"]),
            "HC": str(w["harakiri_count"]),
            "RunT": _running_time(w["running_time"]),
            "LastSpwn": (time.strftime("%H:%M:%S", time.localtime(w["last_spawn"]))
                         if w["last_spawn"] else "--:--:--"),
        })
    return rows


def total_rps(doc, previous=None, interval: float = 1.0) -> int:
    before = {w["id"]: w["requests"] for w in (previous or {}).get("workers", [])}
    if interval <= 0:
        return 0
    return int(round(sum((w["requests"] - before.get(w["id"], 0)) / interval for w in doc["workers"])))


def render_top(doc, previous=None, interval: float = 1.0, node: str = "localhost") -> str:
    """uwsgitop's screen for `doc` as text: the summary line, the node line, the column
    header and one row per worker (columns aligned with spaces instead of tabs)."""
    rows = top_rows(doc, previous, interval)
    total = sum(w["requests"] for w in doc["workers"])
    tx = human_size(sum(w["tx"] for w in doc["workers"]))
    lines = [
        f"uwsgi-{doc.get('version', '')} - req: {total} - RPS: {total_rps(doc, previous, interval)}"
        f" - lq: {doc.get('listen_queue', 0)} - tx: {tx}",
        f"node: {node} - cwd: {doc.get('cwd', '')} - uid: {doc.get('uid', '')}"
        f" - gid: {doc.get('gid', '')} - masterpid: {doc.get('pid', '')}",
    ]
    widths = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in COLUMNS}
    lines.append("  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip())
    for r in rows:
        lines.append("  ".join(r[c].ljust(widths[c]) for c in COLUMNS).rstrip())
    return "\n".join(lines) + "\n"


class Top:
    """uwsgitop's loop without the screen: each read() fetches the document and renders it
    with RPS over the time since the previous read."""

    def __init__(self, address: str, http: bool = False):
        self.address = address
        self.http = http
        self.previous = None
        self.previous_at = None

    def read(self) -> tuple[dict, str]:
        doc = read_stats_http(self.address).doc if self.http else read_stats(self.address)
        now = time.monotonic()
        interval = (now - self.previous_at) if self.previous_at is not None else 1.0
        text = render_top(doc, self.previous, interval)
        self.previous, self.previous_at = doc, now
        return doc, text
