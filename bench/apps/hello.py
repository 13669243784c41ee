"""Plain WSGI hello world: the server's own overhead, with as little app as possible."""

BODY = b"Hello, World!\n"


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
