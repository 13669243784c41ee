"""examples/flask behind nginx: templates, a form, JSON, uploads, static files."""

import hashlib
import os

import pytest
import requests

from paths import EXAMPLES


@pytest.fixture
def flask_site(gantry, nginx, port):
    g = gantry.start("--module", "app:application", "--chdir", "examples/flask",
                     "--socket", f"127.0.0.1:{port}", "--processes", "2")
    site, _ = nginx.render(EXAMPLES / "flask" / "nginx-site.conf", f"127.0.0.1:{port}")
    return g, nginx.start(site)


def url(front, path):
    return front.url.rstrip("/") + path


def test_index_renders_template(flask_site):
    g, front = flask_site
    resp = requests.get(url(front, "/"), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "<h1>Gantry Flask example</h1>" in resp.text
    assert 'href="/static/style.css"' in resp.text
    pid = int(resp.text.split("by worker pid ")[1].split(".")[0])
    assert pid in g.worker_pids()


def test_form_post_escapes_input(flask_site):
    _, front = flask_site
    resp = requests.post(url(front, "/greet"), data={"name": "<b>Ann</b>"}, timeout=10)
    assert resp.status_code == 200
    assert "Hello, &lt;b&gt;Ann&lt;/b&gt;!" in resp.text
    assert "<b>Ann</b>" not in resp.text

    resp = requests.post(url(front, "/greet"), data={"name": "  "}, timeout=10)
    assert resp.status_code == 400
    assert "Please enter a name." in resp.text


def test_json_info(flask_site):
    g, front = flask_site
    resp = requests.get(url(front, "/api/info?x=1"), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    data = resp.json()
    assert data["pid"] in g.worker_pids()
    assert {k: v for k, v in data.items() if k != "pid"} == {
        "app": "gantry-flask-example", "method": "GET", "path": "/api/info", "query": {"x": "1"}}


def test_echo_one_mebibyte(flask_site):
    _, front = flask_site
    body = os.urandom(1 << 20)
    resp = requests.post(url(front, "/api/echo"), data=body,
                         headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert resp.status_code == 200
    assert resp.json() == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_unknown_path_is_404(flask_site):
    _, front = flask_site
    assert requests.get(url(front, "/no/such/page"), timeout=10).status_code == 404


def test_static_is_served_by_nginx(flask_site):
    g, front = flask_site
    on_disk = (EXAMPLES / "flask" / "static" / "style.css").read_bytes()
    resp = requests.get(url(front, "/static/style.css"), timeout=10)
    assert resp.status_code == 200
    assert resp.content == on_disk
    assert resp.headers["Content-Type"] == "text/css"
    assert resp.headers["Server"].startswith("nginx")

    # With gantry gone, nginx still serves the file: the app never saw it.
    g.stop()
    resp = requests.get(url(front, "/static/style.css"), timeout=10)
    assert (resp.status_code, resp.content) == (200, on_disk)
    assert requests.get(url(front, "/"), timeout=10).status_code == 502
