"""uWSGI's max-fd and limit-as: the limits the master sets for itself and every worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def limits_of(pid: int) -> dict[str, tuple[str, str]]:
    """/proc/PID/limits as {name: (soft, hard)}."""
    out = {}
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]:
        name, soft, hard = line[:26].strip(), *line[26:].split()[:2]
        out[name] = (soft, hard)
    return out


@pytest.mark.skipif(os.environ.get("GANTRY_TEST_ASAN") == "1",
                    reason="ASan maps terabytes of shadow memory: no RLIMIT_AS can hold it")
def test_max_fd_and_limit_as_hold_in_the_master_and_its_workers(gantry, port):
    fds = 4096 if os.geteuid() == 0 else min(4096, int(limits_of(os.getpid())["Max open files"][1]))
    g = gantry.start("--module", "app:application", "--chdir", "examples/hello",
                     "--socket", f"127.0.0.1:{port}", "--processes", "2",
                     "--max-fd", str(fds), "--limit-as", "4096")
    for pid in [g.pid, *g.wait_for_workers(2)]:
        limits = limits_of(pid)
        assert limits["Max open files"][0] == str(fds), limits
        assert limits["Max address space"] == (str(4096 << 20),) * 2, limits
    assert g.request().status == 200
    assert "limit-as: each process may map up to 4096 MB" in g.log_text()
