"""--virtualenv (uWSGI's home, venv, pyhome) and --optimize.

Real venvs made by `/usr/bin/python3 -m venv --without-pip` hold a package the system does not
have; the app imports it and reports what Python sees: sys.prefix, sys.path, the environment.
The embedded interpreter must look exactly like the venv's own bin/python. Nothing is
downloaded and nothing is written into the repo.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from http_client import HttpGantry, local_session
from paths import REPO
from procs import is_running, wait_until

SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = "gantry_venv_probe"  # only the venvs have it

APP = f'''\
import json, os, subprocess, sys

import {PROBE}


def report():
    """A docstring, which -OO removes."""
    try:
        import yaml  # Debian's python3-yaml: in the system's dist-packages only
        system_yaml = yaml.__file__
    except ImportError:
        system_yaml = None
    return {{
        "prefix": sys.prefix, "base_prefix": sys.base_prefix, "executable": sys.executable,
        "path": sys.path, "probe": {PROBE}.__file__, "probe_value": {PROBE}.VALUE,
        "VIRTUAL_ENV": os.environ.get("VIRTUAL_ENV"), "PATH": os.environ.get("PATH", ""),
        "system_yaml": system_yaml, "debug": __debug__, "doc": report.__doc__,
        "optimize": sys.flags.optimize,
    }}


def application(environ, start_response):
    if environ["PATH_INFO"] == "/subprocess":
        # A bare `python`, as an app's subprocess or a management command would call it.
        out = subprocess.run(["python", "-c", "import sys; print(sys.prefix)"],
                             capture_output=True, text=True, check=True).stdout.strip()
        body = json.dumps({{"prefix": out}})
    else:
        body = json.dumps(report())
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]
'''


def make_venv(where: Path, *flags: str) -> Path:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", *flags, str(where)],
                   check=True, timeout=120)
    [site] = where.glob("lib/python3.*/site-packages")
    (site / f"{PROBE}.py").write_text(f"VALUE = {str(where)!r}\n")
    return where


@pytest.fixture(scope="module")
def venvs(tmp_path_factory):
    """An isolated venv (the default) and one made with --system-site-packages."""
    base = tmp_path_factory.mktemp("venvs")
    assert subprocess.run([SYSTEM_PYTHON, "-c", f"import {PROBE}"],
                          capture_output=True).returncode != 0, f"the system has {PROBE}"
    return {"isolated": make_venv(base / "isolated"),
            "system": make_venv(base / "with-system", "--system-site-packages")}


@pytest.fixture
def app_dir(tmp_path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "venv_app.py").write_text(APP)
    return folder


def start(gantry, port, *args, cwd=None) -> HttpGantry:
    """gantry on --http-socket 127.0.0.1:`port`, ready once it answers GET / with 200."""
    g = HttpGantry(gantry._binary(), gantry.workdir, gantry.registry, default_cwd=REPO)
    gantry.instances.append(g)  # stopped and checked for error lines by the fixture
    return g.start(*args, address=f"127.0.0.1:{port}", cwd=cwd)


def get(port, path="/"):
    resp = local_session().get(f"http://127.0.0.1:{port}{path}", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def site_packages(venv: Path) -> str:
    [site] = venv.glob("lib/python3.*/site-packages")
    return str(site)


def assert_runs_in(seen: dict, venv: Path, system_site: bool) -> None:
    """What the venv's own bin/python would show."""
    own = json.loads(subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.path]))"],
        capture_output=True, text=True, check=True).stdout)
    assert [seen["prefix"], seen["base_prefix"]] == own[:2] == [str(venv), "/usr"]
    assert seen["executable"] == str(venv / "bin" / "python")
    assert seen["probe"].startswith(site_packages(venv) + "/")
    # The same sys.path as the venv's python, after gantry's own entries (the app's folder).
    assert seen["path"][-len(own[2]) + 1:] == own[2][1:], (seen["path"], own[2])
    dist = [p for p in seen["path"] if p.endswith("dist-packages")]
    if system_site:
        assert dist, seen["path"]
        assert seen["path"].index(site_packages(venv)) < seen["path"].index(dist[0])
        assert seen["system_yaml"], "include-system-site-packages = true: the system's are there"
    else:
        assert dist == [], f"include-system-site-packages = false, yet {dist} on sys.path"
        assert seen["system_yaml"] is None
    assert seen["VIRTUAL_ENV"] == str(venv)
    assert seen["PATH"].split(":")[0] == str(venv / "bin")


# -- serving from the venv -------------------------------------------------------------


@pytest.mark.parametrize("lazy", [False, True], ids=["preloaded", "lazy-apps"])
@pytest.mark.parametrize("kind", ["isolated", "system"])
def test_the_app_runs_as_the_venvs_python_would(gantry, port, venvs, app_dir, lazy, kind):
    venv = venvs[kind]
    start(gantry, port, "--module", "venv_app", "--chdir", app_dir, "--http-socket",
          f"127.0.0.1:{port}", "--virtualenv", venv, "--processes", "2",
          *(["--lazy-apps"] if lazy else []))
    seen = get(port)
    assert_runs_in(seen, venv, system_site=kind == "system")
    assert seen["path"][0] == str(app_dir)
    assert seen["debug"] is True and seen["doc"], "no --optimize: asserts and docstrings stay"
    # The app's subprocesses find the venv's python first on PATH.
    assert get(port, "/subprocess") == {"prefix": str(venv)}


def test_a_relative_virtualenv_is_taken_from_chdir(gantry, port, venvs, app_dir, tmp_path):
    (app_dir / "venv").symlink_to(venvs["isolated"])
    start(gantry, port, "--module", "venv_app", "--chdir", app_dir, "--http-socket",
          f"127.0.0.1:{port}", "-H", "venv", cwd=tmp_path)
    seen = get(port)
    assert seen["VIRTUAL_ENV"] == str(app_dir / "venv")
    assert seen["probe_value"] == str(venvs["isolated"])


@pytest.mark.parametrize("key", ["virtualenv", "home", "venv", "pyhome"])
def test_ini_file(gantry, port, venvs, app_dir, tmp_path, key):
    venv = venvs["isolated"]
    ini = tmp_path / "uwsgi.ini"
    ini.write_text(f"[uwsgi]\nchdir = {app_dir}\nmodule = venv_app\nmaster = true\n"
                   f"http-socket = 127.0.0.1:{port}\n{key} = {venv}\n")
    code, out = gantry.run("--ini", ini, "--check-config")
    assert (code, out) == (0, "gantry: the configuration is good\n")
    start(gantry, port, "--ini", ini)
    assert_runs_in(get(port), venv, system_site=False)


def test_cron_commands_see_the_activated_venv(gantry, port, venvs, app_dir, tmp_path):
    venv = venvs["isolated"]
    out = tmp_path / "cron.out"
    command = (f'echo "$VIRTUAL_ENV|$PATH|$(command -v python)|'
               f'$(python -c "import {PROBE}; print({PROBE}.VALUE)")" > {out}.tmp && mv {out}.tmp {out}')
    g = start(gantry, port, "--module", "venv_app", "--chdir", app_dir, "--http-socket",
              f"127.0.0.1:{port}", "--virtualenv", venv, "--cron", f"@every 1s {command}")
    assert wait_until(out.exists, 5), f"the cron command never ran\n{g.log_text()}"
    virtual_env, path, python, probe = out.read_text().strip().split("|")
    assert virtual_env == str(venv)
    assert path.split(":")[0] == str(venv / "bin")
    assert path.count(str(venv / "bin")) == 1
    assert python == str(venv / "bin" / "python")
    assert probe == str(venv)


def test_a_reload_keeps_the_venv_and_path_does_not_grow(gantry, port, venvs, app_dir):
    venv = venvs["isolated"]
    g = start(gantry, port, "--module", "venv_app", "--chdir", app_dir, "--http-socket",
              f"127.0.0.1:{port}", "--virtualenv", venv)
    before = get(port)
    for _ in range(2):  # the re-executed master inherits the activated environment
        [old] = g.wait_for_workers(1)
        os.kill(g.pid, signal.SIGHUP)
        g.wait_for_workers(1, exclude=[old])
        assert wait_until(lambda: not is_running(old), 10), f"old worker {old} still runs"
    after = get(port)
    assert after["PATH"] == before["PATH"]
    assert after["PATH"].split(":").count(str(venv / "bin")) == 1
    assert_runs_in(after, venv, system_site=False)


# -- --optimize ------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2])
def test_optimize(gantry, port, venvs, app_dir, tmp_path, level):
    ini = tmp_path / "uwsgi.ini"
    ini.write_text(f"[uwsgi]\nchdir = {app_dir}\nmodule = venv_app\n"
                   f"http-socket = 127.0.0.1:{port}\nvenv = {venvs['isolated']}\n"
                   f"optimize = {level}\n")
    start(gantry, port, "--ini", ini)
    seen = get(port)
    assert seen["optimize"] == level
    assert seen["debug"] is False
    assert (seen["doc"] is None) == (level == 2), seen["doc"]


def test_optimize_takes_0_to_2(gantry):
    code, out = gantry.run("--module", "app", "--socket", ":1", "--optimize", "3")
    assert code == 2 and "--optimize" in out and out.count("\n") == 1, out


# -- refusals, at --check-config and at start-up -----------------------------------------


def refusal(gantry, port, tmp_path, venv) -> str:
    """The one line both --check-config and a start print for `venv`; nothing is bound."""
    base = ("--module", "venv_app", "--chdir", tmp_path, "--http-socket", f"127.0.0.1:{port}",
            "--virtualenv", venv)
    checked = gantry.run(*base, "--check-config")
    started = gantry.run(*base)
    assert checked == started, (checked, started)
    code, out = checked
    assert code == 2, out
    assert out.count("\n") == 1 and out.startswith(f"gantry: --virtualenv {venv}: "), out
    return out


def test_refused_when_the_folder_is_missing(gantry, port, tmp_path):
    venv = tmp_path / "nope"
    out = refusal(gantry, port, tmp_path, venv)
    assert f"no such directory; make one with `{SYSTEM_PYTHON} -m venv {venv}`" in out


def test_refused_when_it_is_not_a_pep405_venv(gantry, port, tmp_path):
    prefix = tmp_path / "usr-like"
    (prefix / "lib" / "python3.11").mkdir(parents=True)  # a Python prefix, as uWSGI's home took
    out = refusal(gantry, port, tmp_path, prefix)
    assert "no pyvenv.cfg in it, so it is not a PEP 405 virtualenv" in out
    # A Python installation is not to be written over: the advice names a new folder.
    assert f"make one with `{SYSTEM_PYTHON} -m venv DIR`" in out


def test_refused_when_made_by_another_python(gantry, port, tmp_path):
    venv = make_venv(tmp_path / "old")
    cfg = venv / "pyvenv.cfg"
    embedded = re.search(r"^version = (\d+\.\d+)\.", cfg.read_text(), re.M).group(1)
    # What `python3.9 -m venv` writes.
    cfg.write_text(re.sub(r"^version = .*$", "version = 3.9.18", cfg.read_text(), flags=re.M))
    out = refusal(gantry, port, tmp_path, venv)
    assert (f"it is a Python 3.9 virtualenv (pyvenv.cfg: version 3.9.18) and gantry embeds "
            f"Python {embedded}") in out
    assert f"`{SYSTEM_PYTHON} -m venv --clear {venv}`" in out
