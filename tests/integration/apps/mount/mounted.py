"""Apps for tests/integration/test_mount.py: each says who it is and what path it saw."""

import json


def make_app(name):
    def app(environ, start_response):
        payload = json.dumps({
            "app": name,
            "SCRIPT_NAME": environ.get("SCRIPT_NAME"),
            "PATH_INFO": environ.get("PATH_INFO"),
            "QUERY_STRING": environ.get("QUERY_STRING"),
            "REQUEST_URI": environ.get("REQUEST_URI"),
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(payload)))])
        return [payload]
    return app


root = make_app("root")
app_a = make_app("a")
app_deep = make_app("a/deep")
