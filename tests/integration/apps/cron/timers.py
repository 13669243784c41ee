"""The cron app plus timers registered at import, with gantry's and uWSGI's decorators."""

import os

import gantry
import uwsgidecorators

from app import application  # noqa: F401 - the WSGI app gantry serves
from recorder import record


@gantry.timer(1)
def gantry_tick():
    record("gantry_timer", os.getpid(), os.getppid(), gantry.worker_id())


@uwsgidecorators.timer(1)
def uwsgi_tick(signum):
    # uWSGI calls these with the number of the signal that fired them.
    record("uwsgi_timer", os.getpid(), os.getppid(), gantry.worker_id(), type(signum).__name__)
