#!/bin/sh
# The Debian package as built by `make deb`: lintian finds no error, the file list is the one
# expected, the dependencies name the embedded Python, and the systemd units, the logrotate
# file and the nginx snippet are accepted by systemd-analyze, logrotate and nginx.
# Not part of make test: `make package-test` runs it (after make deb).
set -eu
cd "$(dirname "$0")/../.."
DEB_BUILD_DIR=${DEB_BUILD_DIR:-build-deb}
deb=$(ls -1 "$DEB_BUILD_DIR"/gantry_*.deb | tail -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_deb: FAIL: $*"; exit 1; }
echo "test_deb: $deb"

# lintian: errors fail the test; warnings are printed for the record.
lintian --tag-display-limit 0 -I "$deb" > "$tmp/lintian" 2>&1 || true
sed 's/^/  lintian: /' "$tmp/lintian"
if grep -q '^E:' "$tmp/lintian"; then
    fail "lintian reports errors"
fi
echo "test_deb: lintian: $(grep -c '^E:' "$tmp/lintian") errors, $(grep -c '^W:' "$tmp/lintian") warnings"

# The files (not folders) in the package, and nothing else of the build tree.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort > "$tmp/files"
cat > "$tmp/expected" <<'LIST'
./etc/gantry/apps-available/example.yaml
./etc/logrotate.d/gantry
./etc/nginx/snippets/gantry-uwsgi.conf
./lib/systemd/system/gantry@.service
./lib/systemd/system/gantry@.socket
./usr/bin/gantry
./usr/share/doc/gantry/changelog.Debian.gz
./usr/share/doc/gantry/copyright
./usr/share/man/man1/gantry.1.gz
LIST
diff -u "$tmp/expected" "$tmp/files" || fail "unexpected file list"
dpkg-deb -c "$deb" | grep ' \./etc/gantry/apps-enabled/$' > /dev/null || fail "no /etc/gantry/apps-enabled/"
echo "test_deb: file list as expected ($(wc -l < "$tmp/files") files)"

# Dependencies: dpkg-shlibdeps' libraries, and python3 of the version embedded.
depends=$(dpkg-deb -f "$deb" Depends)
echo "test_deb: Depends: $depends"
py=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
for want in "python3 (>= $py)" "python3 (<< " "libpython$py" "libsystemd0" "libyaml-cpp"; do
    case "$depends" in *"$want"*) ;; *) fail "Depends lacks $want" ;; esac
done
dpkg-deb -f "$deb" Section Priority | tr '\n' ' ' | grep -q 'Section: web Priority: optional' ||
    fail "section/priority"
[ "$(dpkg-deb -f "$deb" Version)" = "$(./"$DEB_BUILD_DIR"/gantry --version | cut -d' ' -f2)-1" ] ||
    fail "package version is not gantry --version"

# The package's own content, unpacked: conffiles, a stripped binary, the man page.
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"
sort "$tmp/control/conffiles" > "$tmp/conffiles"
printf '%s\n' /etc/gantry/apps-available/example.yaml /etc/logrotate.d/gantry \
    /etc/nginx/snippets/gantry-uwsgi.conf | diff -u - "$tmp/conffiles" || fail "conffiles"
file "$tmp/root/usr/bin/gantry" 2>/dev/null | grep -q ', stripped' ||
    { command -v file > /dev/null && fail "/usr/bin/gantry is not stripped"; }
"$tmp/root/usr/bin/gantry" --version
for s in postinst prerm postrm; do sh -n "$tmp/control/$s" || fail "$s: syntax"; done
zcat "$tmp/root/usr/share/man/man1/gantry.1.gz" | grep -q '^\.SH OPTIONS' || fail "man page"

# systemd-analyze verify: a copy of the units whose ExecStart names the packaged binary
# (verify wants it to exist), and the packaged man page for Documentation=man:gantry(1).
mkdir -p "$tmp/units"
sed "s#/usr/bin/gantry#$tmp/root/usr/bin/gantry#g" "$tmp/root/lib/systemd/system/gantry@.service" \
    > "$tmp/units/gantry@.service"
cp "$tmp/root/lib/systemd/system/gantry@.socket" "$tmp/units/"
grep -q "ExecStart=.*$tmp/root/usr/bin/gantry" "$tmp/units/gantry@.service" || fail "ExecStart copy"
if MANPATH="$tmp/root/usr/share/man" systemd-analyze verify \
    "$tmp/units/gantry@example.service" "$tmp/units/gantry@example.socket" > "$tmp/verify" 2>&1; then
    sed 's/^/  systemd-analyze: /' "$tmp/verify"
    echo "test_deb: systemd-analyze verify: gantry@.service and gantry@.socket pass"
else
    sed 's/^/  systemd-analyze: /' "$tmp/verify"
    fail "systemd-analyze verify"
fi

# logrotate parses the snippet (debug mode: nothing is rotated).
if command -v logrotate > /dev/null; then
    logrotate -d -s "$tmp/logrotate.state" "$tmp/root/etc/logrotate.d/gantry" > "$tmp/logrotate" 2>&1 ||
        { cat "$tmp/logrotate"; fail "logrotate rejects etc/logrotate.d/gantry"; }
    ! grep -qi 'error' "$tmp/logrotate" || { cat "$tmp/logrotate"; fail "logrotate: error"; }
    echo "test_deb: logrotate accepts etc/logrotate.d/gantry"
fi

# nginx takes the snippet inside a location, as its comment says.
if command -v nginx > /dev/null; then
    cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:9;
        location / {
            include $tmp/root/etc/nginx/snippets/gantry-uwsgi.conf;
            uwsgi_pass unix:/run/gantry/example.sock;
        }
    }
}
CONF
    # uwsgi_params, included by a name relative to the config folder, is nginx's own.
    ln -s /etc/nginx/uwsgi_params "$tmp/uwsgi_params"
    nginx -t -p "$tmp" -c "$tmp/nginx.conf" > "$tmp/nginx-t" 2>&1 || { cat "$tmp/nginx-t"; fail "nginx -t"; }
    echo "test_deb: nginx -t accepts the snippet"
fi
echo "test_deb: OK"
