#!/bin/sh
# The servers and the load generator bench/run.py compares gantry with, from Debian 12's
# packages, installed only when missing.
exec sh "$(dirname "$0")/../packaging/install-deps.sh" uwsgi-core uwsgi-plugin-python3 gunicorn wrk \
    python3-whitenoise
