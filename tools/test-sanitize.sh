#!/bin/sh
# make test-sanitize: builds gantry and its unit tests with g++'s AddressSanitizer and
# UndefinedBehaviorSanitizer (in $BUILD_DIR, build-sanitize by default), then runs the unit
# tests and the whole integration suite against that gantry. Any sanitizer report, from any
# process (the master, a worker, a test binary), fails the run. See
# docs/fuzzing-and-sanitizers.md.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build-sanitize}
jobs=${JOBS:-2}
python=${PYTHON:-/usr/bin/python3}

# -fno-sanitize-recover: a UBSan finding ends the process instead of printing and going on.
# -Wno-maybe-uninitialized: GCC's documentation warns that sanitizers raise false positives
# of this warning (Beast's optional<> content_length under -O2 here); -Werror stays on.
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
flags="$flags -Wno-maybe-uninitialized"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGANTRY_PYTHON="$python" \
    -DPython3_EXECUTABLE="$python" -DCMAKE_CXX_FLAGS="$flags" > /dev/null
cmake --build "$build" -j"$jobs"

# ASan's reports go to files, one per process (log_path.PID), rather than to stderr: a worker
# that dies of one is respawned and the test may still pass. The check at the end fails the
# run on any file there. g++'s UBSan runs as an ASan plugin and ignores log_path: its
# reports go to stderr, i.e. gantry's log, where the integration fixture fails the test on
# any sanitizer line; the unit tests fail by their exit code.
reports="$root/$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# CPython under ASan: PYTHONMALLOC=malloc, so that every Python object comes from malloc
# (CPython's docs: pymalloc hides use-after-free and overflows from ASan).
export PYTHONMALLOC=malloc
# libpython is not instrumented, and gantry links libasan first, so the link order check
# holds; nothing is preloaded. Uninstrumented programs the tests start (python3, nginx) do
# not read these variables.
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tools/lsan-suppressions.txt:print_suppressions=0"
apps_supp="$root/$build/lsan-suppressions-integration.txt"
cat tools/lsan-suppressions.txt tools/lsan-suppressions-apps.txt > "$apps_supp"
# ASan makes gantry 2-3 times slower: the integration fixtures' waits are this many times longer.
export GANTRY_TEST_SLOW=${GANTRY_TEST_SLOW:-3}
# ASan's quarantine holds freed memory: the tests that bound a worker's RSS skip that bound.
export GANTRY_TEST_ASAN=1

status=0
start=$(date +%s)
(cd "$build" && ctest --output-on-failure -E '^integration$') || status=1
GANTRY_BIN="$root/$build/gantry" PYTHONDONTWRITEBYTECODE=1 \
    LSAN_OPTIONS="suppressions=$apps_supp:print_suppressions=0" \
    "$python" -m pytest -q -p no:cacheprovider tests/integration || status=1

found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
    for f in $found; do
        echo "=== $f"
        cat "$f"
    done
    echo "test-sanitize: $(echo "$found" | wc -l) sanitizer report(s) in $reports" >&2
    status=1
fi
echo "test-sanitize: $([ $status -eq 0 ] && echo passed || echo FAILED)" \
    "in $(( $(date +%s) - start )) s (tests only), reports: $(echo "$found" | grep -c . || true)"
exit $status
