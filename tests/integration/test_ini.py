"""uWSGI INI files and the configuration commands.

A Django uwsgi.ini as found in the field runs unchanged under `gantry --ini` behind nginx;
`--print-config` output fed back as `--yaml` gives the same configuration; `--check-config`
starts nothing; start-up failures are one line naming the option and the cause.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest
import requests

from gantry_proc import free_ports
from paths import REPO
from procs import wait_until
# The Django example's data directory (database, collected static files), set up once.
from test_django import DATA_ENV, DJANGO, SITE_ALIAS, TOKEN, django_data, env_for  # noqa: F401

# /etc/uwsgi/apps-available/mysite.ini, as Django projects deploy with uWSGI. Only the
# two paths are filled in: where the project is, and where the socket goes.
FIELD_INI = """\
# mysite: Django behind nginx
[uwsgi]
project = mysite
base = {base}

chdir = %(base)
module = %(project).wsgi:application
pythonpath = %(base)

master = true
processes = 2
threads = 2

socket = {run}/%(project).sock
chmod-socket = 666
vacuum = true
die-on-term = true

harakiri = 30
max-requests = 5000
buffer-size = 32768
env = DJANGO_SETTINGS_MODULE=%(project).settings
env = {data_env}={data}
"""


def write_field_ini(folder: Path, data: Path | str = "/nonexistent") -> tuple[Path, Path]:
    """The field INI for examples/django in `folder` (its `env` lines point the example at
    the data directory `data`); returns (ini, its socket path)."""
    ini = folder / "mysite.ini"
    ini.write_text(FIELD_INI.format(base=DJANGO, run=folder, data_env=DATA_ENV, data=data))
    return ini, folder / "mysite.sock"


def gantry_processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes whose command line contains `text`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmd:
                found.append(f"{entry}: {cmd}")
    return found


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


# -- the field uwsgi.ini --------------------------------------------------------------


def test_field_django_ini_runs_unchanged_behind_nginx(gantry, nginx, django_data, tmp_path):
    ini, sock = write_field_ini(tmp_path, django_data)

    # What the INI means, %(project) and %(base) expanded; the always-on options say nothing.
    code, out = gantry.run("--ini", ini, "--print-config", cwd=tmp_path)
    assert code == 0, out
    for line in ('  module: "mysite.wsgi:application"', f'  chdir: "{DJANGO}"',
                 f'    - "{DJANGO}"', f'    - "{sock}"', '  chmod-socket: "666"',
                 "  buffer-size: 32768", "  processes: 2", "  threads: 2", "  harakiri: 30s",
                 "  max-requests: 5000"):
        assert line in out.splitlines(), f"{line!r} not in:\n{out}"

    # The data directory reaches Django through the INI's env lines alone.
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    g = gantry.start("--ini", ini, cwd=tmp_path, address=str(sock), env=env)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o666
    assert len(g.wait_for_workers(2)) == 2

    site, _ = nginx.render(DJANGO / "nginx-site.conf", f"unix:{sock}")
    assert SITE_ALIAS in site
    front = nginx.start(site.replace(SITE_ALIAS, f"alias {django_data}/static/;"))

    resp = requests.get(front.url + "admin/login/", timeout=10)
    assert resp.status_code == 200
    assert "<title>Log in | Django site admin</title>" in resp.text
    [css] = re.findall(r'href="(/static/admin/css/base\.[^"]+)"', resp.text)
    resp = requests.get(front.url + css.lstrip("/"), timeout=10)
    assert resp.status_code == 200
    assert resp.content == (django_data / "static" / css.removeprefix("/static/")).read_bytes()

    # A CSRF-protected form, stored in SQLite by the threaded workers.
    s = requests.Session()
    page = s.get(front.url, timeout=10)
    assert page.status_code == 200 and "<h1>Gantry Django example</h1>" in page.text
    note = f"from the ini {uuid.uuid4()}"
    resp = s.post(front.url, data={"csrfmiddlewaretoken": TOKEN.search(page.text).group(1),
                                   "text": note}, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text[:500]
    assert f"<li>{note}</li>" in s.get(front.url, timeout=10).text
    # ...in the database the INI's `env` line named, not in the example's default one.
    with sqlite3.connect(django_data / "db.sqlite3") as db:
        assert note in {text for (text,) in db.execute("SELECT text FROM demo_note")}

    g.stop()  # die-on-term: SIGTERM stops it, exit 0
    assert not sock.exists(), "vacuum: the socket file is removed at exit"


# -- --print-config fed back as --yaml ------------------------------------------------

RICH_YAML = """\
uwsgi:
  module: app:application
  chdir: site
  pythonpath: [lib, /opt/lib]
  socket:
    - 127.0.0.1:3031
    - /run/gantry/app.sock
  http-socket: 127.0.0.1:8000
  http-keepalive-timeout: 30s
  chmod-socket: 666
  listen: 128
  buffer-size: 32k
  limit-post: 10m
  socket-timeout: 1m
  processes: 4
  threads: 2
  cheaper: 1
  cheaper-initial: 2
  cheaper-step: 2
  harakiri: 1m
  max-requests: 1000
  max-requests-delta: 50
  reload-on-rss: 512
  max-worker-lifetime: 1h
  graceful-timeout: 10
  lazy-apps: yes
  disable-logging: true
  log-style: json
  pidfile: run/app.pid
  logto: log/app.log
  mount:
    - /admin=admin.wsgi:app
    - /legacy=legacy/app.py
  cron:
    - "*/10 * * * * /usr/bin/true"
    - schedule: "@every 90m"
      call: tasks:refresh
      timeout: 5m
    - schedule: "0 3 * * mon"
      command: "echo \\"weekly\\" > /dev/null"
  master: true
  vacuum: true
  plugins: python3
"""

SOURCES = {
    "yaml": lambda folder: ("--yaml", folder / "gantry.yaml"),
    "ini": lambda folder: ("--ini", write_field_ini(folder)[0]),
    "flags": lambda folder: (
        "--wsgi-file", REPO / "examples" / "hello" / "app.py", "--callable", "app",
        "--chdir", REPO / "examples" / "hello", "--socket", "127.0.0.1:3031",
        "--socket", folder / "g.sock", "--processes", "3", "--threads", "4",
        "--harakiri", "5m", "--buffer-size", "16k", "--limit-post", "1g", "--lazy-apps",
        "--cron", "@hourly /usr/bin/true", "--log-style", "json", "--chmod-socket", "0600",
        "--listen", "64", "--idle", "90", "--cheap"),
    # Relative paths on the command line mean "from the current directory"; printed into a
    # YAML that lives elsewhere, they must still mean the same directories.
    "flags-relative-paths": lambda folder: (
        "--module", "app", "--chdir", "examples/hello", "--pythonpath", "examples",
        "--socket", "127.0.0.1:3031", "--pidfile", "build/gantry-test.pid"),
}
# Options that change nothing in gantry, so --print-config leaves them out.
ALWAYS_ON = {"master", "vacuum", "die-on-term", "plugins"}


def keys_given(args) -> set[str]:
    """The options a source sets: its flags, or the keys of the file it names."""
    if args[0] == "--yaml":
        text = Path(args[1]).read_text()
        return set(re.findall(r"^  ([a-z-]+):", text, re.M)) - ALWAYS_ON
    if args[0] == "--ini":
        text = Path(args[1]).read_text()
        keys = set(re.findall(r"^([a-z-]+) =", text, re.M))
        return keys - ALWAYS_ON - {"project", "base"}  # the file's own placeholders
    return {str(a).removeprefix("--") for a in args if str(a).startswith("--")}


@pytest.mark.parametrize("source", SOURCES)
def test_print_config_fed_back_as_yaml_is_the_same_configuration(gantry, tmp_path, source):
    (tmp_path / "gantry.yaml").write_text(RICH_YAML)
    args = SOURCES[source](tmp_path)
    code, printed = gantry.run(*args, "--print-config")
    assert code == 0, printed
    assert printed.startswith("gantry:\n"), printed
    printed_keys = set(re.findall(r"^  ([a-z-]+):", printed, re.M))
    assert printed_keys == keys_given(args), f"--print-config left out or added options:\n{printed}"

    again = tmp_path / "printed" / "gantry.yaml"  # another folder than the source's
    again.parent.mkdir()
    again.write_text(printed)
    code, reprinted = gantry.run("--yaml", again, "--print-config")
    assert code == 0, reprinted
    assert reprinted == printed, "the printed YAML means another configuration when read back"

    code, out = gantry.run("--yaml", again, "--check-config")
    assert (code, out) == (0, "gantry: the configuration is good\n")


# -- --check-config -------------------------------------------------------------------

CHECKED_INI = """\
[uwsgi]
chdir = %d
module = app
socket = %drun.sock
http-socket = 127.0.0.1:{port}
pidfile = %dgantry.pid
logto = %dgantry.log
processes = 2
master = true
"""


def test_check_config_good_exits_0_and_starts_nothing(gantry, tmp_path):
    [port] = free_ports(1)
    marker = tmp_path / "imported"
    (tmp_path / "app.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n")
    ini = tmp_path / f"checked-{uuid.uuid4().hex}.ini"
    ini.write_text(CHECKED_INI.format(port=port))

    code, out = gantry.run("--ini", ini, "--check-config", timeout=10)
    assert (code, out) == (0, "gantry: the configuration is good\n")
    for left in ("run.sock", "gantry.pid", "gantry.log", "imported"):
        assert not (tmp_path / left).exists(), f"--check-config created {left}"
    assert port_is_free(port), "--check-config bound the http-socket"
    assert not gantry_processes_mentioning(ini.name)


BAD_CONFIGS = {
    "yaml-unknown-key": (
        "bad.yaml", "gantry:\n  module: app\n  socket: %drun.sock\n  proceses: 2\n",
        "gantry: {path}:4:3: unknown option 'proceses' (did you mean 'processes'?)\n"),
    # Every problem of the file in one run: out of scope, a typo, a bad number.
    "ini-several-problems": (
        "bad.ini", "[uwsgi]\nmodule = app\nsocket = %drun.sock\nspooler = %dspool\n"
                   "vaccum = true\nprocesses = many\n",
        "gantry: 3 problems in the configuration:\n"
        "  {path}:4: spooler: a uWSGI option gantry does not have: use cron (a `call:` entry "
        "runs a Python function) or a task queue such as Celery or RQ\n"
        "  {path}:5: unknown option 'vaccum' (did you mean 'vacuum'?)\n"
        "  {path}:6: processes: expected a whole number from 1 to 1024, got 'many'\n"),
    "ini-no-listener": (
        "bad.ini", "[uwsgi]\nmodule = app\nprocesses = 2\n",
        "gantry: no listener: give --socket ADDR (HOST:PORT, :PORT or /path.sock) "
        "or --http-socket\n"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_check_config_bad_exits_2_with_the_message(gantry, tmp_path, case):
    name, text, message = BAD_CONFIGS[case]
    conf = tmp_path / name
    # %d is INI magic only: the YAML names the socket with its full path.
    conf.write_text(text.replace("%d", f"{tmp_path}/") if name.endswith(".yaml") else text)
    flag = "--ini" if name.endswith(".ini") else "--yaml"
    code, out = gantry.run(flag, conf, "--check-config", timeout=10)
    assert code == 2, out
    assert out == message.format(path=conf)
    assert not (tmp_path / "run.sock").exists()


def test_check_config_bad_flag_value_exits_2(gantry, tmp_path):
    code, out = gantry.run("--check-config", "--module", "app", "--socket", tmp_path / "s.sock",
                           "--processes", "0", timeout=10)
    assert (code, out) == (2, "gantry: --processes: expected a whole number from 1 to 1024, "
                              "got '0'\n")
    assert not (tmp_path / "s.sock").exists()


# -- start-up failures: one line naming the option and the cause ----------------------

@pytest.mark.parametrize("option", ["--socket", "--http-socket"])
def test_port_in_use_is_one_line_naming_the_option(gantry, option):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        address = f"127.0.0.1:{held.getsockname()[1]}"
        code, out = gantry.run("--module", "app", "--chdir", "examples/hello", option, address,
                               timeout=10)
    assert code != 0
    assert out == f"gantry: {option} {address}: cannot bind: Address already in use\n"


def test_missing_chdir_is_one_line_naming_the_option(gantry, tmp_path):
    missing = tmp_path / "no-such-dir"
    code, out = gantry.run("--module", "app", "--chdir", missing,
                           "--socket", tmp_path / "s.sock", timeout=10)
    assert code == 2, out
    assert out == f"gantry: --chdir {missing}: No such file or directory\n"
    assert not (tmp_path / "s.sock").exists()


def test_module_that_cannot_be_imported_names_the_option_and_cause(gantry, tmp_path):
    (tmp_path / "app.py").write_text("import json\nimport no_such_dependency_xyz\n"
                                     "application = None\n")
    sock = tmp_path / "s.sock"
    code, out = gantry.run("--module", "app", "--chdir", tmp_path, "--socket", sock, timeout=10)
    assert code == 4, out
    first = out.splitlines()[0]
    assert first.startswith("gantry: --module app: "), (
        f"the first line should name the option and the module: {first!r}")
    assert "No module named 'no_such_dependency_xyz'" in first, (
        f"the first line should give the cause: {first!r}")
    assert "Traceback (most recent call last):" in out
    assert f'File "{tmp_path}/app.py", line 2, in <module>' in out
    assert wait_until(lambda: not sock.exists(), 2), "the socket file is left behind"
