"""Start-up failures: app load errors exit 4 with the traceback, option errors exit 2."""

import re

import pytest

from paths import APPS


def app_args(port, chdir, module="app:application"):
    return ("--module", module, "--chdir", chdir, "--socket", f"127.0.0.1:{port}")


def test_missing_module_exits_4(gantry, port):
    code, out = gantry.run("--module", "gantry_no_such_module_xyz", "--socket", f"127.0.0.1:{port}")
    assert code == 4, out
    assert "ModuleNotFoundError" in out
    assert "gantry_no_such_module_xyz" in out


def test_syntax_error_in_app_exits_4_with_traceback(gantry, port):
    code, out = gantry.run(*app_args(port, APPS / "syntax_error"))
    assert code == 4, out
    assert "SyntaxError" in out
    assert re.search(r'app\.py", line 4\b', out), out


def test_exception_at_import_exits_4_with_traceback(gantry, port):
    code, out = gantry.run(*app_args(port, APPS / "import_error"))
    assert code == 4, out
    assert "Traceback (most recent call last)" in out
    assert "RuntimeError: import-time failure from tests/integration/apps/import_error" in out


def test_missing_callable_exits_4(gantry, port):
    code, out = gantry.run(*app_args(port, "examples/hello", module="app:no_such_callable"))
    assert code == 4, out
    assert "no_such_callable" in out


def test_unknown_option_exits_2_and_suggests(gantry, port):
    code, out = gantry.run(*app_args(port, "examples/hello"), "--proceses", "2", timeout=10)
    assert code == 2, out
    assert "proceses" in out
    assert re.search(r"\bprocesses\b", out), "the message should suggest 'processes'"


@pytest.mark.parametrize("form", [("--processes", "abc"), ("--processes=abc",)])
def test_bad_option_value_exits_2(gantry, port, form):
    code, out = gantry.run(*app_args(port, "examples/hello"), *form, timeout=10)
    assert code == 2, out
    assert "processes" in out


def test_bad_short_option_value_exits_2(gantry, port):
    code, out = gantry.run(*app_args(port, "examples/hello"), "-p", "abc", timeout=10)
    assert code == 2, out
    assert "processes" in out or "-p" in out


@pytest.mark.parametrize("processes", [1, 3])
def test_lazy_app_that_never_imports_exits_4_instead_of_respawning(gantry, port, processes):
    # Each worker imports the app itself; none ever becomes ready, so respawning would only
    # repeat the traceback forever: the master halts with the workers' code, as gunicorn.
    code, out = gantry.run(*app_args(port, APPS / "import_error"), "--lazy-apps",
                           "--processes", str(processes), timeout=10)
    assert code == 4, out
    assert "RuntimeError: import-time failure from tests/integration/apps/import_error" in out
    assert re.search(r"exited with code 4 before any worker of its generation was ready: the "
                     r"app cannot start .*gantry stops with exit code 4", out), out
    assert "respawning" not in out, out
    assert "gantry stopped" in out
