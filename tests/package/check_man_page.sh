#!/bin/sh
# gantry(1): `gantry --man-page` runs, groff renders it without a warning, and every option
# of the registry (the rows --options-markdown lists) is in the rendered page.
# Usage: check_man_page.sh path/to/gantry
set -eu
gantry=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gantry" --man-page > "$tmp/gantry.1"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS SIGNALS FILES "SEE ALSO"; do
    grep -q "^\.SH $section\$" "$tmp/gantry.1" || { echo "gantry.1: no $section section"; exit 1; }
done

if ! command -v groff > /dev/null; then
    echo "gantry.1: generated; groff is not installed, rendering not checked"
    exit 0
fi
LC_ALL=C.UTF-8 groff -man -Tutf8 -ww "$tmp/gantry.1" > "$tmp/rendered" 2> "$tmp/warnings"
if [ -s "$tmp/warnings" ]; then
    echo "gantry.1: groff warnings:"
    cat "$tmp/warnings"
    exit 1
fi
# Rendered text: no overstrike, hyphens as plain dashes.
sed -e 's/.\x08//g' -e 's/‐/-/g' "$tmp/rendered" > "$tmp/plain"
missing=0
for option in $("$gantry" --options-markdown | sed -n 's/^| `\(--[a-z0-9-]*\).*/\1/p'); do
    if ! grep -q -e "$option\b" "$tmp/plain"; then
        echo "gantry.1: $option is missing"
        missing=1
    fi
done
[ "$missing" -eq 0 ] || exit 1
echo "gantry.1: $(grep -c '^\.TP' "$tmp/gantry.1") entries, rendered by groff without warnings"
