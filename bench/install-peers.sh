#!/bin/sh
# Installs, from Debian 12's own packages, the servers and the load generator that
# bench/run.py compares gantry with. Idempotent: with everything present it changes nothing.
set -eu

PACKAGES="uwsgi-core uwsgi-plugin-python3 gunicorn wrk"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$(echo "$missing" | tr -d ' ')" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Refresh the package lists only when apt does not know a candidate for one of them.
for p in $missing; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q "Candidate: [0-9]"; then
        $SUDO apt-get update -q
        break
    fi
done
echo "install-peers: installing$missing"
# --no-install-recommends: the packaged uwsgi service is not ours; run.py starts its own.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
