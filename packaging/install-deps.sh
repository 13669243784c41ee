#!/bin/sh
# Installs, from Debian 12's own packages, whatever is missing of what gantry needs to
# build, test and run its demo, or of the packages named as arguments (bench/ passes its
# peers). Idempotent: with everything present it changes nothing.
set -eu

# prometheus and uwsgi: the observability tests scrape gantry with a real Prometheus and
# read a real uWSGI's stats beside gantry's; iproute2: make fleet's network namespaces.
PACKAGES="
build-essential cmake ccache pkg-config clang-format clang-tidy
clang-14 libclang-rt-14-dev libfuzzer-14-dev
libboost-dev libfmt-dev libyaml-cpp-dev pybind11-dev python3-dev catch2 libsystemd-dev
python3 python3-venv python3-flask python3-django python3-pytest python3-requests
nginx systemd iproute2
prometheus python3-prometheus-client uwsgi-core uwsgi-plugin-python3
"
[ $# -gt 0 ] && PACKAGES="$*"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$(echo "$missing" | tr -d ' ')" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
$SUDO apt-get update -q
# --no-install-recommends: the packaged nginx and uwsgi services are not ours; the demo,
# the tests and the benchmarks run private instances.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
