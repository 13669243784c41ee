"""Reads the whole request body (1 MiB in the benchmark) and answers with its length.

A body that is not read in full is a 400, so that a server which drops bytes fails the
correctness check instead of looking fast.
"""


def application(environ, start_response):
    expected = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(expected)
    ok = len(data) == expected
    body = f"{len(data)}\n".encode()
    start_response("200 OK" if ok else "400 Bad Request",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
