#!/bin/sh
# What the package tests need beyond packaging/install-deps.sh: lintian, debootstrap (the
# fresh Debian 12 root), groff-base (man -l), logrotate (checking the snippet).
set -eu
exec sh "$(dirname "$0")/install-deps.sh" lintian debootstrap groff-base logrotate systemd
