"""A 1 MiB response body in one chunk, with its Content-Length: the server's write path."""

SIZE = 1 << 20
BODY = bytes(i % 251 for i in range(SIZE))


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(SIZE))])
    return [BODY]
