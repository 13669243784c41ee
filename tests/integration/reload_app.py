"""The app the signal and reload tests run (tests/integration/apps/), copied per test so
that its code can be edited before a reload."""

from __future__ import annotations

import re
import shutil

from paths import APPS


def copy_app(tmp_path, name="reload"):
    dest = tmp_path / "app"
    shutil.copytree(APPS / name, dest)
    return dest


def set_version(app_dir, version):
    """Rewrite VERSION in app.py; drop cached bytecode so the next import reads the source."""
    source = app_dir / "app.py"
    text, count = re.subn(r'^VERSION = ".*"$', f'VERSION = "{version}"', source.read_text(),
                          flags=re.M)
    assert count == 1, "apps/reload/app.py must have exactly one VERSION line"
    source.write_text(text)
    shutil.rmtree(app_dir / "__pycache__", ignore_errors=True)
