#!/bin/sh
# Runs every fuzz target (or those named) for FUZZ_SECONDS each, one after the other, from
# its seeds in fuzz/corpus/<target>/ plus what earlier runs found in BUILD/corpus/<target>/
# (the only folder libFuzzer writes to). Prints one line per target; a crash, leak, timeout
# or sanitizer report leaves its input in BUILD/artifacts/ and makes the exit code 1.
#   usage: fuzz/run.sh BUILD [TARGET...]
set -u

BUILD=$1
shift
TARGETS=${*:-"uwsgi_request http_request http_framing static_target yaml_config ini_config cron_schedule"}
SECONDS_EACH=${FUZZ_SECONDS:-60}
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$BUILD/artifacts" "$BUILD/logs"
status=0
for t in $TARGETS; do
    mkdir -p "$BUILD/corpus/$t"
    log="$BUILD/logs/$t.log"
    # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: an input that grows
    # memory past 2 GB is a finding, not a machine in swap.
    "$BUILD/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
        "$BUILD/corpus/$t" "$HERE/corpus/$t" > "$log" 2>&1
    code=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    units=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$code" -eq 0 ]; then
        result=ok
    else
        status=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        reason=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*\|ERROR: libFuzzer: [a-z-]*\|runtime error: .*' "$log")
        result="FAILED (exit $code: ${reason:-see log}) input: ${artifact:-none}; log: $log"
    fi
    printf 'fuzz %-14s runs %9s  time %4ss  cov %5s  ft %5s  corpus %5s  %s\n' \
        "$t" "${runs:-?}" "${time:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}" "$result"
done
exit $status
