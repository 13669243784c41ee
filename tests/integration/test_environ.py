"""The WSGI environ that an app sees behind nginx (PEP 3333)."""

import hashlib
import os

import pytest
import requests

from paths import APPS

SITE = """
server {
    listen 127.0.0.1:1;
    client_max_body_size 16m;
    location / {
        include uwsgi_params;
        uwsgi_pass 127.0.0.1:1;
    }
}
"""


@pytest.fixture
def env_front(gantry, nginx, port):
    gantry.start("--module", "app:application", "--chdir", APPS / "environ",
                 "--socket", f"127.0.0.1:{port}")
    site, _ = nginx.render(SITE, f"127.0.0.1:{port}")
    return nginx.start(site)


def fetch(front, method, path, **kwargs):
    resp = requests.request(method, front.url.rstrip("/") + path, timeout=10, **kwargs)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_get_environ(env_front):
    report = fetch(env_front, "GET", "/env/caf%C3%A9?a=1&b=two", headers={"X-Custom": "yes"})
    env = report["environ"]
    assert env["wsgi.url_scheme"] == "http"
    assert env["SCRIPT_NAME"] == ""
    assert env["REQUEST_METHOD"] == "GET"
    # PEP 3333: native strings holding the bytes as latin-1; nginx decoded %XX.
    assert env["PATH_INFO"].encode("latin-1").decode("utf-8") == "/env/café"
    assert env["QUERY_STRING"] == "a=1&b=two"
    assert env["REQUEST_URI"] == "/env/caf%C3%A9?a=1&b=two"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_PORT"] == str(env_front.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["HTTP_X_CUSTOM"] == "yes"
    assert env["HTTP_HOST"] == "127.0.0.1"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert report["input"] == {"length": 0, "sha256": hashlib.sha256(b"").hexdigest(),
                               "after_end": 0}
    types = report["types"]
    assert types["wsgi.version"] == "tuple"
    assert {types["wsgi.multithread"], types["wsgi.multiprocess"], types["wsgi.run_once"]} == {"bool"}
    assert "wsgi.errors" in types and "wsgi.input" in types


def test_post_environ_and_body(env_front):
    body = os.urandom(300_000)
    report = fetch(env_front, "POST", "/upload?kind=bin", data=body,
                   headers={"Content-Type": "application/x-test"})
    env = report["environ"]
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/upload"
    assert env["QUERY_STRING"] == "kind=bin"
    assert env["CONTENT_TYPE"] == "application/x-test"
    assert env["CONTENT_LENGTH"] == str(len(body))
    assert "HTTP_CONTENT_TYPE" not in env, "PEP 3333 forbids HTTP_CONTENT_TYPE"
    assert "HTTP_CONTENT_LENGTH" not in env, "PEP 3333 forbids HTTP_CONTENT_LENGTH"
    assert report["input"] == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                               "after_end": 0}


def test_chunked_request_body_is_framed_by_content_length(env_front):
    """nginx de-chunks the body but still forwards HTTP_TRANSFER_ENCODING: chunked."""
    parts = [b"first-", b"second-", os.urandom(50_000)]
    report = fetch(env_front, "PUT", "/chunked", data=iter(parts))
    body = b"".join(parts)
    assert report["environ"]["CONTENT_LENGTH"] == str(len(body))
    assert report["input"] == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                               "after_end": 0}
