"""examples/django behind nginx: the admin and its collected static files, a
CSRF-protected form backed by SQLite, the admin login, a large upload.

The example's setup (`manage.py demo_setup`: migrate, demo superuser,
collectstatic) runs once per session into a temporary GANTRY_DJANGO_DATA_DIR,
so that the tests never touch build/django-data; gantry gets the same variable,
and the nginx site's static alias is pointed at the same place.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import uuid

import pytest
import requests

from paths import EXAMPLES, REPO

DJANGO = EXAMPLES / "django"
PYTHON = "/usr/bin/python3"  # the interpreter gantry embeds
DATA_ENV = "GANTRY_DJANGO_DATA_DIR"
USER, PASSWORD = "admin", "test-demo-password"
# The alias in nginx-site.conf: the default STATIC_ROOT, relative to nginx's prefix (the repo).
SITE_ALIAS = "alias build/django-data/static/;"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def env_for(data_dir) -> dict[str, str]:
    return {**os.environ, DATA_ENV: str(data_dir)}


def run_setup(data_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", "demo_setup", "--username", USER, "--password", PASSWORD],
        cwd=DJANGO, env=env_for(data_dir), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="session")
def django_data(tmp_path_factory):
    """The data directory (SQLite database, collected static files), set up once."""
    data_dir = tmp_path_factory.mktemp("django-data")
    result = run_setup(data_dir)
    assert result.returncode == 0, f"setup failed:\n{result.stdout}\n{result.stderr}"
    return data_dir


@pytest.fixture
def django_site(gantry, nginx, port, django_data, tmp_path):
    # The example's own YAML, from a cwd outside the repo: its relative paths
    # must resolve against the YAML's folder.
    g = gantry.start("--yaml", DJANGO / "gantry.yaml", "--socket", f"127.0.0.1:{port}",
                     cwd=tmp_path, env=env_for(django_data))
    site, _ = nginx.render(DJANGO / "nginx-site.conf", f"127.0.0.1:{port}")
    assert SITE_ALIAS in site
    site = site.replace(SITE_ALIAS, f"alias {django_data}/static/;")
    return g, nginx.start(site)


def url(front, path):
    return front.url.rstrip("/") + path


def csrf_token(session, front, path) -> str:
    """GET the page (which sets the csrftoken cookie) and return its form's token."""
    resp = session.get(url(front, path), timeout=10)
    assert resp.status_code == 200, resp.text[:500]
    match = TOKEN.search(resp.text)
    assert match, f"no csrfmiddlewaretoken in {path}"
    assert "csrftoken" in session.cookies
    return match.group(1)


def test_admin_login_page_and_its_css_from_nginx(django_site, django_data):
    g, front = django_site
    resp = requests.get(url(front, "/admin/login/"), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Log in | Django site admin</title>" in resp.text
    # Collected with content-hashed names: /static/admin/css/base.<hash>.css
    [css] = re.findall(r'<link rel="stylesheet" type="text/css" href="(/static/admin/css/base\.[^"]+)"',
                       resp.text)
    on_disk = (django_data / "static" / css.removeprefix("/static/")).read_bytes()

    resp = requests.get(url(front, css), timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/css"
    assert resp.headers["Server"].startswith("nginx")
    assert resp.content == on_disk

    # Django (DEBUG off) serves no static file: without gantry nginx still does.
    assert g.request(path=css).status == 404
    g.stop()
    resp = requests.get(url(front, css), timeout=10)
    assert (resp.status_code, resp.content) == (200, on_disk)
    assert requests.get(url(front, "/admin/login/"), timeout=10).status_code == 502


def test_csrf_protected_form(django_site):
    _, front = django_site
    s = requests.Session()
    token = csrf_token(s, front, "/")
    note = f"<b>note {uuid.uuid4()}</b>"

    resp = s.post(url(front, "/"), data={"csrfmiddlewaretoken": token, "text": note},
                  allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text[:500]
    assert resp.headers["Location"] == "/"
    page = s.get(url(front, "/"), timeout=10).text
    assert f"<li>{html.escape(note)}</li>" in page  # stored, and escaped on the way out
    assert note not in page

    resp = s.post(url(front, "/"), data={"csrfmiddlewaretoken": token, "text": ""}, timeout=10)
    assert resp.status_code == 400
    assert "This field is required." in resp.text

    # The cookie is sent, the token is not: rejected, and nothing stored.
    rejected = f"rejected {uuid.uuid4()}"
    resp = s.post(url(front, "/"), data={"text": rejected}, timeout=10)
    assert resp.status_code == 403
    assert "CSRF verification failed" in resp.text
    assert rejected not in s.get(url(front, "/"), timeout=10).text


def log_in_as_demo_user(front) -> None:
    s = requests.Session()
    login = "/admin/login/?next=/admin/"
    token = csrf_token(s, front, login)

    form = {"csrfmiddlewaretoken": token, "username": USER, "next": "/admin/"}
    resp = s.post(url(front, login), data={**form, "password": "wrong"}, timeout=10)
    assert resp.status_code == 200
    assert "Please enter the correct username and password" in resp.text

    resp = s.post(url(front, login), data={**form, "password": PASSWORD},
                  allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text[:500]
    assert resp.headers["Location"] == "/admin/"
    assert "sessionid" in s.cookies

    resp = s.get(url(front, "/admin/"), timeout=10)
    assert resp.status_code == 200
    assert re.search(rf"Welcome,\s*<strong>{USER}</strong>", resp.text)
    assert "Log out" in resp.text
    assert 'href="/admin/demo/note/"' in resp.text  # the example's model is registered


def test_admin_login_with_demo_user(django_site):
    _, front = django_site
    log_in_as_demo_user(front)


def test_keepalive_example_logs_in_over_kept_upstream_connections(gantry, nginx, port,
                                                                  django_data, tmp_path):
    """examples/django/gantry-keepalive.yaml behind nginx-keepalive-site.conf (make demo
    APP=django-keepalive): the same admin login, over nginx's pool of HTTP connections."""
    from http_client import HttpGantry

    g = HttpGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=tmp_path)
    gantry.instances.append(g)
    g.start("--yaml", DJANGO / "gantry-keepalive.yaml", "--http-socket", f"127.0.0.1:{port}",
            address=f"127.0.0.1:{port}", ready_path="/admin/login/", env=env_for(django_data))
    site, _ = nginx.render(DJANGO / "nginx-keepalive-site.conf", f"127.0.0.1:{port}")
    assert SITE_ALIAS in site and "keepalive" in site
    front = nginx.start(site.replace(SITE_ALIAS, f"alias {django_data}/static/;"))
    log_in_as_demo_user(front)


def test_upload_five_mebibytes(django_site):
    _, front = django_site
    s = requests.Session()
    token = csrf_token(s, front, "/upload/")
    body = os.urandom(5 << 20)

    resp = s.post(url(front, "/upload/"), data={"csrfmiddlewaretoken": token},
                  files={"file": ("blob.bin", body, "application/octet-stream")}, timeout=60)
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.json() == {"name": "blob.bin", "size": len(body),
                           "sha256": hashlib.sha256(body).hexdigest()}

    resp = s.post(url(front, "/upload/"), files={"file": ("small.bin", b"x" * 100)}, timeout=10)
    assert resp.status_code == 403


def test_example_yaml_works_from_any_cwd(gantry, port, django_data):
    g = gantry.start("--yaml", "../django/gantry.yaml", "--socket", f"127.0.0.1:{port}",
                     cwd=EXAMPLES / "hello", env=env_for(django_data))
    resp = g.request(path="/")
    assert resp.status == 200
    assert "<h1>Gantry Django example</h1>" in resp.text
    assert len(g.wait_for_workers(2)) == 2


def test_setup_is_idempotent(django_data):
    result = run_setup(django_data)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "No migrations to apply." in result.stdout
    assert f"Superuser '{USER}' exists already" in result.stdout


def test_default_data_dir_is_where_the_site_serves_static_from():
    """Without the variable, settings put STATIC_ROOT where nginx-site.conf's
    alias points (relative to the repo, nginx's prefix in the demo)."""
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    result = subprocess.run(
        [PYTHON, "-c", "from mysite import settings; print(settings.STATIC_ROOT)"],
        cwd=DJANGO, env=env, capture_output=True, text=True, timeout=30, check=True,
    )
    assert SITE_ALIAS in (DJANGO / "nginx-site.conf").read_text()
    alias = SITE_ALIAS.removeprefix("alias ").removesuffix("/;")
    assert result.stdout.strip() == str(REPO / alias)


def test_standalone_yaml_serves_the_admin_and_its_css_with_304s(gantry, port, django_data,
                                                                tmp_path):
    """examples/django/gantry-standalone.yaml (make demo APP=django-standalone): no nginx,
    gantry's HTTP socket serves the app and the collected static files."""
    from http_client import HttpConn, HttpGantry

    text = (DJANGO / "gantry-standalone.yaml").read_text()
    assert "static-map: /static=../../build/django-data/static" in text
    text = (text.replace("../../build/django-data/static", f"{django_data}/static")
                .replace("chdir: .", f"chdir: {DJANGO}")
                .replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    yaml = tmp_path / "standalone.yaml"
    yaml.write_text(text)
    g = HttpGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)
    g.start("--yaml", yaml, address=f"127.0.0.1:{port}", env=env_for(django_data))
    with HttpConn(port) as c:
        page = c.request("GET", "/admin/login/")
        assert page.status == 200 and b"csrfmiddlewaretoken" in page.body
        css = c.request("GET", "/static/admin/css/base.css")
        assert css.status == 200, css.raw
        assert css.body == (django_data / "static" / "admin" / "css" / "base.css").read_bytes()
        assert css.header("Content-Type") == "text/css; charset=utf-8"
        again = c.request("GET", "/static/admin/css/base.css",
                          {"If-None-Match": css.header("ETag")})
        assert again.status == 304 and again.body == b""
    assert "(static file)" in g.wait_for_log("GET /static/admin/css/base.css => 304")
