"""Functions for `call:` cron entries; each runs in a task process forked from the master."""

import os
import sys
import time

import gantry

from recorder import record


def marker():
    # "app" in sys.modules: forked from the master that preloaded the app.
    record("marker", os.getpid(), os.getppid(), gantry.worker_id(), "app" in sys.modules)


def overrun():
    """Takes 3 s, run every second: gantry must skip the runs due while it works."""
    record("overrun", "start", os.getpid(), time.time())
    time.sleep(3)
    record("overrun", "end", os.getpid(), time.time())


def too_slow():
    """Takes 5 s under a 1 s timeout: gantry must kill it."""
    record("too_slow", "start", os.getpid(), time.time())
    time.sleep(5)
    record("too_slow", "end", os.getpid(), time.time())
