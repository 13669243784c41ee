"""Fails to import: a syntax error on line 4."""


def application(environ, start_response)
    start_response("200 OK", [])
    return [b"unreachable"]
