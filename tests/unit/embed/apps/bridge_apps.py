"""WSGI apps for the embed tests: each answers with what it saw, as JSON lines."""

import json

kept = {}


def _answer(start_response, report, status="200 OK"):
    body = json.dumps(report).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def keeper(environ, start_response):
    """Keeps start_response, write, wsgi.input and the environ, and calls the old ones in
    the next request: they must raise, and this request must not notice."""
    report = {}
    if kept:
        for name, call in (("start_response", lambda: kept["start_response"]("500 X", [])),
                           ("write", lambda: kept["write"](b"LEAKED"))):
            try:
                call()
                report[name] = "no error"
            except Exception as e:  # noqa: BLE001 - any exception type is reported
                report[name] = f"{type(e).__name__}: {e}"
        report["old_input"] = kept["input"].read().decode()
        report["old_environ_method"] = kept["environ"]["REQUEST_METHOD"]
    report["body"] = environ["wsgi.input"].read().decode()
    write = start_response("200 OK", [("Content-Type", "application/json")])
    kept.update(start_response=start_response, write=write, input=environ["wsgi.input"],
                environ=environ)
    write(json.dumps(report).encode())
    return []


def arguments(environ, start_response):
    """start_response and write by PEP 3333's keyword names, and misuses of both."""
    report = {}
    write = start_response(status="200 OK", response_headers=[], exc_info=None)
    write(data=b"")
    for name, call in (("missing", lambda: start_response("200 OK")),
                       ("extra", lambda: start_response("200 OK", [], None, 1)),
                       ("unknown", lambda: start_response("200 OK", [], info=None)),
                       ("twice", lambda: start_response("200 OK", [], response_headers=[])),
                       ("write_none", lambda: write()),
                       ("write_str", lambda: write("text")),
                       ("again", lambda: start_response("200 OK", []))):
        try:
            call()
            report[name] = "no error"
        except Exception as e:  # noqa: BLE001
            report[name] = type(e).__name__
    report["types"] = [type(start_response).__name__, type(write).__name__]
    write(json.dumps(report).encode())
    return []


def environ_echo(environ, start_response):
    """The str-valued part of the environ."""
    return _answer(start_response, {k: v for k, v in environ.items() if isinstance(v, str)})


def sized(environ, start_response):
    """Says Content-Length 5 and sends QUERY_STRING's length in bytes."""
    n = int(environ.get("QUERY_STRING") or "0")
    start_response("200 OK", [("Content-Length", "5")])
    return [b"x" * n]


def bare_bytes(environ, start_response):
    """Returns the body itself rather than an iterable of bytes."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return b"a body of its own"


def bare_bytearray(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return bytearray(b"a body of its own")
