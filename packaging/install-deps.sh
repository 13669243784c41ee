#!/bin/sh
# Installs, from Debian 12's own packages, whatever gantry needs to build, test and run its
# demo that is not installed yet. Idempotent: with everything present it changes nothing.
set -eu

PACKAGES="
build-essential cmake ccache pkg-config clang-format
libboost-dev libfmt-dev libyaml-cpp-dev pybind11-dev python3-dev catch2 libsystemd-dev
python3 python3-flask python3-django python3-pytest python3-requests
nginx
"

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
# The packaged nginx service is not ours: the demo and the tests run a private nginx.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
