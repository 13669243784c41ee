"""Real uWSGI configuration files, as public projects ship them, run under gantry.

Every file in uwsgi_corpus/ (a copy of ../shared/migration-corpus/, kept identical when that
folder is there) is described in CASES: what its deployment supplies (paths, users, addresses,
environment variables, a stand-in app at the module path it names), and, for a file gantry
refuses, each refusal with the reason the file deserves it: a typo uWSGI silently ignores, or a
feature out of gantry's scope. For every file:

  1. `--check-config` with only that environment succeeds, or lists exactly the deserved
     refusals, all in one run;
  2. gantry serves one request behind nginx, from the file as it is, or, for a refused file,
     with only the refused lines corrected or left out (so the rest of it is shown to work).

The test never edits an option or the syntax of a file: `supply` replaces deployment values
(a path, a user, an address) with ones on this machine.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from gantry_proc import Gantry, free_ports
from http_client import HttpGantry
from paths import REPO

CORPUS = Path(__file__).resolve().parent / "uwsgi_corpus"
SHARED = REPO.parent / "shared" / "migration-corpus"

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

MTIME_EXPIRY = ("an expiry by content type counted from the file's mtime: gantry's counts from "
                "the request and matches file names (static-expires)")


@dataclass
class Case:
    """How one corpus file is deployed here. Templates: {app} the app's folder, {run} sockets,
    logs and pid files, {home} a home directory, {venv} a real virtualenv, {port} a free port,
    {user}/{group} the user running the test."""
    supply: dict[str, str]                  # text in the file -> this machine's value
    app: str                                # stand-in: "module:pkg.mod" or "file:{app}/x.py"
    listen: tuple[str, str]                 # ("uwsgi" | "http", address template)
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()              # what the deployment's command line adds
    refused: dict[str, str] = field(default_factory=dict)  # problem text -> why deserved
    correct: dict[str, str] = field(default_factory=dict)  # refused line -> fixed ("" drops it)
    venv: str = ""                          # where a real virtualenv must be (template)
    url: str = "/"                          # the request's path
    dirs: tuple[str, ...] = ()              # folders the deployment has (templates)


CASES: dict[str, Case] = {
    "20tab__django-uwsgi-template-legacy__uwsgiconf__remotes__global.ini": Case(
        # A shared file: the project's own file sets project_name, py_version and myapp.
        supply={},
        env={"HOME": "{home}"},
        args=("--set-ph", "project_name=site", "--set-ph", "py_version=3.11",
              "--set-ph", "myapp={home}/www/site/site", "--socket", "{run}/site.sock"),
        app="file:{home}/www/site/site/wsgi.py",
        listen=("uwsgi", "{run}/site.sock"),
        venv="{home}/venvs/site",
        dirs=("{home}/logs",),
        refused={"static-expires-type-mtime": MTIME_EXPIRY},
        correct={"for=jpeg png gif\n": "", "static-expires-type-mtime = image/%(_)=3600\n": "",
                 "endfor=\n": ""},
    ),
    "DMOJ__docs__sample_files__uwsgi.ini": Case(
        supply={"<dmoj repo dir>": "{app}", "<virtualenv path>": "{venv}",
                "/tmp/dmoj-site.sock": "{run}/dmoj-site.sock",
                "/tmp/dmoj-site.pid": "{run}/dmoj-site.pid"},
        app="module:dmoj.wsgi",
        listen=("uwsgi", "{run}/dmoj-site.sock"),
        venv="{venv}",
    ),
    "GeoNode__geonode__uwsgi.ini": Case(
        supply={"0.0.0.0:8000": "127.0.0.1:{port}", "0.0.0.0:8001": "127.0.0.1:{port2}",
                "/tmp/geonode.pid": "{run}/geonode.pid", "/usr/src/geonode/": "{app}/",
                "/var/log/geonode.log": "{run}/geonode.log"},
        app="module:geonode.wsgi",
        listen=("uwsgi", "127.0.0.1:{port}"),
        refused={"unknown option 'py-callos-afterfork' (did you mean 'py-call-osafterfork'?)":
                 "a typo: uWSGI ignores the key (its option is py-call-osafterfork)"},
        correct={"py-callos-afterfork": "py-call-osafterfork"},
    ),
    "InQuest__ThreatKB__uwsgi.yaml": Case(
        supply={"uid:                  uwsgi": "uid:                  {user}",
                "/opt/threatkb": "{app}"},
        env={"UWSGI_SOCKET": "{run}/threatkb.sock"},  # the container gives the socket
        app="module:app",
        listen=("uwsgi", "{run}/threatkb.sock"),
    ),
    "Oslandia__docker-mapproxy__uwsgi.yml": Case(
        supply={"socket: :5000": "socket: 127.0.0.1:{port}", "chdir: /mapproxy": "chdir: {app}",
                "=/mapproxy-app.py": "={app}/mapproxy-app.py"},
        app="file:{app}/mapproxy-app.py",
        listen=("uwsgi", "127.0.0.1:{port}"),
        url="/mapproxy/service",
    ),
    "WeblateOrg__weblate__weblate__examples__weblate.uwsgi.ini": Case(
        supply={"/home/weblate/weblate-env": "{venv}", "127.0.0.1:8080": "127.0.0.1:{port}",
                "uid = weblate": "uid = {user}", "gid = weblate": "gid = {group}"},
        app="file:{venv}/lib/python3.7/site-packages/weblate/wsgi.py",
        listen=("uwsgi", "127.0.0.1:{port}"),
        venv="{venv}",
    ),
    "ckan__ckan__ckan-uwsgi.ini": Case(
        supply={"127.0.0.1:8080": "127.0.0.1:{port}", "www-data": "{user}",
                "/tmp/%n.pid": "{run}/%n.pid", "/etc/ckan/wsgi.py": "{app}/ckan_wsgi.py"},
        # `module = wsgi:application` is served (uWSGI loads the module before the file).
        app="module:wsgi",
        listen=("http", "127.0.0.1:{port}"),
        refused={"unknown option 'guid' (did you mean 'gid'?)":
                 "a typo: uWSGI ignores the key, so ckan's workers keep root's group"},
        correct={"guid            =": "gid             ="},
    ),
    "healthchecks__healthchecks__docker__uwsgi.ini": Case(
        supply={"http-socket = :8000": "http-socket = 127.0.0.1:{port}",
                "/opt/healthchecks": "{app}"},
        app="module:hc.wsgi",
        listen=("http", "127.0.0.1:{port}"),
        refused={"hook-pre-app: a uWSGI option gantry does not have":
                 "runs `manage.py migrate` at start: out of scope (systemd ExecStartPre or "
                 "the container entrypoint does it)",
                 "attach-daemon: a uWSGI option gantry does not have":
                 "daemons beside the app: out of scope (their own services)"},
        correct={"hook-pre-app = exec:./manage.py migrate\n": "",
                 "attach-daemon = ./manage.py sendalerts\n": "",
                 "attach-daemon = ./manage.py sendreports --loop\n": "",
                 "attach-daemon = ./manage.py smtpd --port %(_)\n": ""},
    ),
    "kevoreilly__CAPEv2__uwsgi__cape.ini": Case(
        supply={"0.0.0.0:8000": "127.0.0.1:{port}", "/opt/CAPEv2/web": "{app}",
                "uid = cape": "uid = {user}", "gid = cape": "gid = {group}",
                "/tmp/capeuwsgireload": "{run}/capeuwsgireload"},
        # `file = web/wsgi.py` is from chdir, as in uWSGI.
        app="file:{app}/web/wsgi.py",
        listen=("http", "127.0.0.1:{port}"),
        refused={"unknown option 'hunder-lock' (did you mean 'thunder-lock'?)":
                 "a typo: uWSGI ignores the key"},
        correct={"hunder-lock": "thunder-lock"},
        dirs=("{app}/static",),
    ),
    "mediacms-io__mediacms__deploy__docker__uwsgi.ini": Case(
        supply={"/home/mediacms.io/mediacms/": "{app}/", "virtualenv = /home/mediacms.io":
                "virtualenv = {venv}", "0.0.0.0:$(PORT)": "127.0.0.1:$(PORT)",
                "www-data": "{user}"},
        env={"PORT": "{port}"},
        app="module:cms.wsgi",
        listen=("http", "127.0.0.1:{port}"),
        venv="{venv}",
        dirs=("{app}/static", "{app}/media_files"),
    ),
    "mozilla__addons-server__docker__uwsgi.ini": Case(
        supply={"/code": "{app}", ":8001": "127.0.0.1:{port}", "olympia\n": "{user}\n"},
        app="module:olympia.wsgi",
        listen=("uwsgi", "127.0.0.1:{port}"),
        dirs=("{app}/logs",),
        refused={"unknown option 'vaccum' (did you mean 'vacuum'?)":
                 "a typo: uWSGI ignores the key"},
        correct={"vaccum": "vacuum"},
    ),
    "nautobot__nautobot__docker__uwsgi.ini": Case(
        supply={"0.0.0.0:8080": "127.0.0.1:{port}",
                "/opt/nautobot/nautobot.crt,/opt/nautobot/nautobot.key":
                "{run}/nautobot.crt,{run}/nautobot.key", "0.0.0.0:8443": "127.0.0.1:{port2}"},
        # The image's command line names the app.
        args=("--module", "nautobot.core.wsgi", "--chdir", "{app}"),
        app="module:nautobot.core.wsgi",
        listen=("http", "127.0.0.1:{port}"),
        refused={"https: a uWSGI option gantry does not have":
                 "TLS: out of scope (nginx terminates it in front)"},
        correct={"https = 127.0.0.1:{port2},{run}/nautobot.crt,{run}/nautobot.key\n": ""},
    ),
    "overhangio__tutor__tutor__templates__build__openedx__settings__uwsgi.ini": Case(
        supply={"0.0.0.0:8000": "127.0.0.1:{port}", "/openedx/": "{app}/openedx/"},
        env={"SERVICE_VARIANT": "lms", "UWSGI_WORKERS": "2"},
        app="file:{app}/lms/wsgi.py",
        listen=("http", "127.0.0.1:{port}"),
        dirs=("{app}/openedx/staticfiles", "{app}/openedx/media"),
    ),
    "saleor__saleor__saleor__wsgi__uwsgi.ini": Case(
        supply={":$(PORT)": "127.0.0.1:$(PORT)", "/app/static": "{app}/static"},
        env={"PORT": "{port}"},
        args=("--chdir", "{app}"),
        app="module:saleor.wsgi",
        listen=("http", "127.0.0.1:{port}"),
        dirs=("{app}/static",),
    ),
    "searx__searx__dockerfiles__uwsgi.ini": Case(
        supply={"uid = searx": "uid = {user}", "gid = searx": "gid = {group}",
                "/usr/local/searx/": "{app}/", "/run/uwsgi-logrotate": "{run}/uwsgi-logrotate",
                "/var/log/uwsgi/": "{run}/"},
        args=("--http-socket", "127.0.0.1:{port}"),  # the image's command line
        app="module:searx.webapp",
        listen=("http", "127.0.0.1:{port}"),
    ),
    "searxng__searxng__dockerfiles__uwsgi.ini": Case(
        supply={"uid = searxng": "uid = {user}", "gid = searxng": "gid = {group}",
                "/usr/local/searxng/": "{app}/"},
        args=("--http-socket", "127.0.0.1:{port}"),
        app="module:searx.webapp",
        listen=("http", "127.0.0.1:{port}"),
        refused={"add-header: a uWSGI option gantry does not have":
                 "response headers: out of scope (nginx add_header)"},
        correct={"add-header = Connection: close\n": ""},
        dirs=("{app}/searx/static",),
    ),
    "tiangolo__uwsgi-nginx-flask-docker__example-flask-package-python3.8__app__uwsgi.ini": Case(
        supply={},
        env={"UWSGI_SOCKET": "{run}/uwsgi.sock"},  # the image's /etc/uwsgi/uwsgi.ini says so
        args=("--chdir", "{app}"),
        app="module:app.main",
        listen=("uwsgi", "{run}/uwsgi.sock"),
    ),
    "wuvt__wuvt-site__uwsgi.yml": Case(
        supply={"/run/uwsgi/wuvt-site.sock": "{run}/wuvt-site.sock",
                "/srv/http/wuvt-site": "{app}"},
        app="module:wuvt",
        listen=("uwsgi", "{run}/wuvt-site.sock"),
        refused={"gevent: a uWSGI option gantry does not have":
                 "an async engine: out of scope (gantry runs WSGI with threads)"},
        correct={"    gevent: 100\n": ""},
    ),
    "zulip__zulip__puppet__zulip__files__uwsgi.ini": Case(
        supply={"/home/zulip/deployments/uwsgi-socket": "{run}/uwsgi-socket",
                "/home/zulip/deployments/current/": "{app}/", "zulip:zulip": "{user}:{group}",
                "uid=zulip": "uid={user}", "gid=zulip": "gid={group}"},
        app="module:zproject.wsgi",
        listen=("uwsgi", "{run}/uwsgi-socket"),
    ),
}

STAND_IN = '''\
# A stand-in for {name}: the corpus file's app is not on this machine.
def application(environ, start_response):
    body = ("stand-in for {name} " + environ.get("SCRIPT_NAME", "") + "|"
            + environ.get("PATH_INFO", "")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


app = application
'''


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".ini", ".yaml", ".yml"))


def test_every_corpus_file_is_described():
    assert sorted(CASES) == corpus_files()


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/migration-corpus is not beside the repo")
def test_the_copy_is_the_shared_corpus():
    shared = sorted(p.name for p in SHARED.iterdir() if p.name != "README.md")
    assert shared == corpus_files()
    for name in shared:
        assert (CORPUS / name).read_bytes() == (SHARED / name).read_bytes(), name


class Deployment:
    """One corpus file made ready to run here: folders, stand-in app, virtualenv, values."""

    def __init__(self, name: str, tmp: Path):
        self.name = name
        self.case = CASES[name]
        port, port2 = free_ports(2)
        self.values = {"app": str(tmp / "app"), "run": str(tmp / "run"), "home": str(tmp / "home"),
                       "venv": str(tmp / "venv"), "port": str(port), "port2": str(port2),
                       "user": USER, "group": GROUP}
        for d in ("app", "run", "home"):
            Path(self.values[d]).mkdir()
        for d in self.case.dirs:
            Path(self.fill(d)).mkdir(parents=True, exist_ok=True)
        if self.case.venv:
            subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip",
                            self.fill(self.case.venv)], check=True)
        self.make_stand_in()
        self.env = {**os.environ, **{k: self.fill(v) for k, v in self.case.env.items()}}
        self.args = [self.fill(a) for a in self.case.args]

    def fill(self, template: str) -> str:
        return template.format(**self.values)

    def make_stand_in(self) -> None:
        kind, _, where = self.case.app.partition(":")
        if kind == "file":
            path = Path(self.fill(where))
        else:
            parts = where.split(".")
            path = Path(self.values["app"]).joinpath(*parts).with_suffix(".py")
            for i in range(1, len(parts)):
                Path(self.values["app"], *parts[:i], "__init__.py").parent.mkdir(
                    parents=True, exist_ok=True)
                Path(self.values["app"], *parts[:i], "__init__.py").touch()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STAND_IN.format(name=where))

    def text(self, corrected: bool) -> str:
        text = (CORPUS / self.name).read_text()
        for old, new in self.case.supply.items():
            assert old in text, f"{self.name}: nothing to supply for {old!r}"
            text = text.replace(old, self.fill(new))
        if corrected:
            for old, new in self.case.correct.items():
                old = self.fill(old)
                assert old in text, f"{self.name}: no refused line {old!r}"
                text = text.replace(old, new)
        return text

    def write(self, corrected: bool) -> Path:
        path = Path(self.values["run"]).parent / self.name
        path.write_text(self.text(corrected))
        return path

    def config_args(self, path: Path) -> list[str]:
        flag = "--ini" if path.suffix == ".ini" else "--yaml"
        return [flag, str(path), *self.args]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_config_accepts_it_or_lists_exactly_the_deserved_refusals(gantry, tmp_path, name):
    d = Deployment(name, tmp_path)
    path = d.write(corrected=False)
    code, out = gantry.run(*d.config_args(path), "--check-config", cwd=d.values["app"], env=d.env)
    if not d.case.refused:
        assert code == 0, out
        assert out.endswith("gantry: the configuration is good\n"), out
        return
    assert code == 2, out
    lines = out.splitlines()
    # One problem: "gantry: PROBLEM"; several: "gantry: N problems ...:" and one per line.
    several = re.fullmatch(r"gantry: \d+ problems in the configuration:", lines[0])
    problems = [line.strip() for line in lines[1:]] if several else [lines[0][len("gantry: "):]]
    assert all(line.startswith("  ") for line in lines[1:]) if several else len(lines) == 1, out
    for problem in problems:
        assert any(reason in problem for reason in d.case.refused), \
            f"{name}: a refusal the file does not deserve:\n  {problem}"
    for reason in d.case.refused:
        assert any(reason in p for p in problems), f"{name}: not refused: {reason}\n{out}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_gantry_serves_it_behind_nginx(gantry, nginx, tmp_path, name):
    d = Deployment(name, tmp_path)
    path = d.write(corrected=True)
    kind, address = d.case.listen[0], d.fill(d.case.listen[1])
    code, out = gantry.run(*d.config_args(path), "--check-config", cwd=d.values["app"], env=d.env)
    assert code == 0, out
    runner = HttpGantry if kind == "http" else Gantry
    g = runner(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)  # stopped and checked for error lines by the fixture
    g.start(*d.config_args(path), cwd=d.values["app"], env=d.env, address=address,
            ready_path=d.case.url, timeout=30)
    if kind == "http":
        site = ("server { listen 80; location / { proxy_pass http://%s; "
                "proxy_set_header Host $host; } }" % address)
    else:
        site = "server { listen 80; location / { include uwsgi_params; uwsgi_pass x; } }"
    text, port = nginx.render(site, upstream=f"unix:{address}" if address.startswith("/")
                              else address)
    nginx.start(text)
    session = requests.Session()
    session.trust_env = False
    r = session.get(f"http://127.0.0.1:{port}{d.case.url}", timeout=10)
    assert r.status_code == 200, r.text
    stand_in = d.case.app.partition(":")[2]
    assert r.text.startswith(f"stand-in for {stand_in} "), r.text
