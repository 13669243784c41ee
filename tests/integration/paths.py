"""Where things are: the repo root is found from this file's own location."""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APPS = HERE / "apps"
EXAMPLES = REPO / "examples"
GANTRY_BIN = Path(os.environ.get("GANTRY_BIN", REPO / "build" / "gantry")).resolve()
