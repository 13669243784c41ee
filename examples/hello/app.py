"""The smallest WSGI app: the same greeting on every path (PEP 3333, no framework)."""


def application(environ, start_response):
    body = b"Hello, World!\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
