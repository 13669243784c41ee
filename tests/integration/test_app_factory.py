"""`module = app:create_app(...)`: an app factory called with literal arguments, as gunicorn
calls it, from the command line and from a uWSGI INI file, preloaded and lazy."""

from __future__ import annotations

import pytest

from paths import APPS

APP = APPS / "factory"


@pytest.mark.parametrize("extra", [(), ("--lazy-apps",)], ids=["preload", "lazy-apps"])
def test_the_app_is_what_the_factory_returns(gantry, port, extra):
    g = gantry.start("--module", "app:create_app('prod', debug=True)", "--chdir", APP,
                     "--socket", f"127.0.0.1:{port}", *extra)
    assert g.request().text == "made by create_app('prod', debug=True)"


def test_a_factory_in_a_uwsgi_ini_file(gantry, port, tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(f"[uwsgi]\nchdir = {APP}\nmodule = app\ncallable = create_app()\n"
                   f"socket = 127.0.0.1:{port}\n")
    g = gantry.start("--ini", ini, address=f"127.0.0.1:{port}")
    assert g.request().text == "made by create_app('default', debug=False)"


def test_a_failing_factory_exits_4_with_its_traceback(gantry, port):
    code, out = gantry.run("--module", "app:create_app('broken')", "--chdir", APP,
                           "--socket", f"127.0.0.1:{port}")
    assert code == 4, out
    assert "app:create_app('broken'): the app factory failed: RuntimeError: the factory " \
           "refused config 'broken'" in out
    assert "Traceback (most recent call last)" in out


def test_check_config_refuses_arguments_that_are_not_literals(gantry, port):
    code, out = gantry.run("--module", "app:create_app(settings)", "--chdir", APP,
                           "--socket", f"127.0.0.1:{port}", "--check-config")
    assert code == 2, out
    assert "a factory call NAME() / NAME('literal', key=1) (the arguments must be literals)" in out
