#!/bin/sh
# The package on a fresh machine: debootstrap a minimal Debian 12 root, install the .deb there
# with apt (which pulls its dependencies), run `gantry --version`, then serve the Flask example
# with the command line of gantry@.service's own ExecStart (no systemd in a chroot: run as its
# User=, in its RuntimeDirectory=) and answer a request through the root's own nginx.
# Loopback only. Needs root; downloads ~100 MB; several minutes. Not part of make test:
# `make package-test` runs it. FRESH_ROOT_KEEP=1 keeps the root for a look afterwards.
set -eu
cd "$(dirname "$0")/../.."
here=$PWD
DEB_BUILD_DIR=${DEB_BUILD_DIR:-build-deb}
deb=$(ls -1 "$here/$DEB_BUILD_DIR"/gantry_*.deb | tail -n 1)
root=$here/$DEB_BUILD_DIR/fresh-root
# debootstrap's downloads, kept for the next run (debootstrap --make-tarball).
cache=$here/$DEB_BUILD_DIR/debootstrap-bookworm.tgz
# The mirror this machine uses (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p; s/^deb \(http[^ ]*\/debian\) bookworm .*/\1/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
step() { echo "fresh_root: $*"; }
fail() { echo "fresh_root: FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot)"

gantry_pid=""
cleanup() {
    if [ -n "$gantry_pid" ]; then kill -TERM "$gantry_pid" 2>/dev/null || true; fi
    if [ -f "$root/run/nginx.pid" ]; then chroot "$root" nginx -s quit 2>/dev/null || true; fi
    for m in "$root/proc" "$root/dev"; do
        if mountpoint -q "$m"; then umount -l "$m"; fi
    done
    if [ "${FRESH_ROOT_KEEP:-0}" != 1 ] && [ -d "$root" ]; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT

start=$(date +%s)
rm -rf --one-file-system "$root"
if [ ! -s "$cache" ]; then
    step "downloading Debian 12 minbase from $mirror"
    debootstrap --variant=minbase --make-tarball="$cache" bookworm "$root.tarball" "$mirror" \
        > "$here/$DEB_BUILD_DIR/debootstrap.log" 2>&1 || { tail "$here/$DEB_BUILD_DIR/debootstrap.log"; fail "debootstrap --make-tarball"; }
    rm -rf "$root.tarball"
fi
step "debootstrap --variant=minbase bookworm $root"
debootstrap --variant=minbase --unpack-tarball="$cache" bookworm "$root" "$mirror" \
    >> "$here/$DEB_BUILD_DIR/debootstrap.log" 2>&1 || { tail "$here/$DEB_BUILD_DIR/debootstrap.log"; fail "debootstrap"; }
step "root made in $(($(date +%s) - start)) s: $(du -sh --one-file-system "$root" | cut -f1)"

mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
# No service starts inside the chroot (nginx's postinst would start it on port 80 of this
# machine): the test starts what it needs itself, on loopback.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
cp "$deb" "$root/tmp/"
step "apt-get install ./$(basename "$deb") nginx python3-flask"
in_root apt-get update -q > "$here/$DEB_BUILD_DIR/fresh-root-apt.log" 2>&1 || fail "apt-get update"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "/tmp/$(basename "$deb")" nginx python3-flask >> "$here/$DEB_BUILD_DIR/fresh-root-apt.log" 2>&1 ||
    { tail -n 30 "$here/$DEB_BUILD_DIR/fresh-root-apt.log"; fail "apt-get install"; }
step "installed: $(in_root dpkg-query -W -f='${Package} ${Version}' gantry), with $(grep -c '^Setting up' "$here/$DEB_BUILD_DIR/fresh-root-apt.log") packages set up"
step "pulled in: $(sed -n 's/^Setting up \([^ ]*\) .*/\1/p' "$here/$DEB_BUILD_DIR/fresh-root-apt.log" | grep -E '^(libpython|python3|libyaml|libfmt|libsystemd|nginx)' | sort | tr '\n' ' ')"
step "gantry --version: $(in_root gantry --version)"
in_root man -w gantry > /dev/null 2>&1 && step "man -w gantry: $(in_root man -w gantry)" ||
    step "man is not in minbase; /usr/share/man/man1/gantry.1.gz: $(test -f "$root/usr/share/man/man1/gantry.1.gz" && echo present)"
step "postinst made: $(in_root stat -c '%n %U:%G %a' /etc/gantry/apps-enabled /var/log/gantry | tr '\n' ';')"

# The example app, enabled as an admin would; without gantry@example.socket (no systemd),
# the socket goes in the service's RuntimeDirectory=, as the example's comment says.
mkdir -p "$root/srv/example"
cp -r examples/flask/app.py examples/flask/templates examples/flask/static "$root/srv/example/"
sed 's|^  # socket: /run/gantry/example/app.sock|  socket: /run/gantry/example/app.sock|' \
    "$root/etc/gantry/apps-available/example.yaml" > "$root/etc/gantry/apps-enabled/example.yaml"
grep -q '^  socket: /run/gantry/example/app.sock' "$root/etc/gantry/apps-enabled/example.yaml" ||
    fail "example.yaml: no socket line to enable"
unit=$root/lib/systemd/system/gantry@.service
user=$(sed -n 's/^User=//p' "$unit")
group=$(sed -n 's/^Group=//p' "$unit")
runtime=$(sed -n 's/^RuntimeDirectory=//p' "$unit" | sed 's/%i/example/g')
in_root install -d -o "$user" -g "$group" -m 0755 "/run/$runtime"
# ExecStart= with %i for the instance: systemd's quoting here is the shell's.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed 's/%i/example/g')
step "ExecStart (as $user:$group): $exec_start"

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$root/etc/nginx/sites-enabled/default"
cat > "$root/etc/nginx/sites-enabled/example" <<EOF
server {
    listen 127.0.0.1:$port;
    location / {
        include snippets/gantry-uwsgi.conf;
        uwsgi_pass unix:/run/gantry/example/app.sock;
    }
}
EOF
in_root nginx -t > /dev/null 2>&1 || { in_root nginx -t; fail "nginx -t"; }

# chroot, setpriv and both shells exec: the pid started here is gantry's master.
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs \
    /bin/sh -c "exec $exec_start" > "$here/$DEB_BUILD_DIR/fresh-root-gantry.out" 2>&1 &
gantry_pid=$!
in_root nginx
step "gantry master pid $gantry_pid, nginx on 127.0.0.1:$port"

log=$root/var/log/gantry/example.log
/usr/bin/python3 tests/package/ask_through_nginx.py "$port" "$gantry_pid" "$log" ||
    fail "no answer through nginx"
step "gantry runs as $(stat -c %U "/proc/$gantry_pid"), exe $(readlink "/proc/$gantry_pid/exe")"

# An upgrade while it runs: dpkg replaces /usr/bin/gantry, then the postinst's graceful
# reload (under systemd deb-systemd-invoke reload; here the SIGHUP that sends).
in_root dpkg -i "/tmp/$(basename "$deb")" > /dev/null 2>&1 || fail "dpkg -i over the running gantry"
workers=$(cat "/proc/$gantry_pid/task/$gantry_pid/children" | tr ' ' ',')
step "reinstalled over the running gantry; SIGHUP (its workers: $workers)"
kill -HUP "$gantry_pid"
/usr/bin/python3 tests/package/ask_through_nginx.py "$port" "$gantry_pid" "$log" "$workers" ||
    fail "no answer after the upgrade's reload"
exe=$(readlink "/proc/$gantry_pid/exe")
step "reloaded: master pid $gantry_pid, workers $(tr ' ' ',' < "/proc/$gantry_pid/task/$gantry_pid/children"); exe $exe"
case "$exe" in
*" (deleted)") fail "the reload re-executed the replaced binary, not the upgraded one" ;;
esac
grep -q "was replaced on disk; the new binary takes over" "$log" ||
    fail "the log does not say the new binary took over"
step "the upgraded binary took over at the reload"
kill -TERM "$gantry_pid"
wait "$gantry_pid" && status=0 || status=$?
gantry_pid=""
step "SIGTERM: gantry exited with $status"
step "its log (/var/log/gantry/example.log, last lines):"
tail -n 6 "$root/var/log/gantry/example.log" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "gantry's exit status"
step "OK in $(($(date +%s) - start)) s"
