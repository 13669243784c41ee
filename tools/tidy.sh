#!/bin/sh
# clang-tidy (the checks in .clang-tidy) over our .cpp files, $JOBS at a time, with the
# build's compile_commands.json. Every finding is an error, and any finding exits 1.
#   tools/tidy.sh all       every .cpp of protocol/, embed/, server/ and tests/ (make lint)
#   tools/tidy.sh changed   only the lines changed since the merge-base with main (make test)
# The whole tree takes 4 to 5 minutes on 2 cores: too long for every make test. On main
# itself (CI's clean clone) "changed" means the lines of the commit under test.
set -u
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=${JOBS:-2}
sources="protocol embed server tests"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The commit "changed" compares with: where this branch left main, else HEAD's parent.
diff_base() {
    base=$(git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null)
    if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
        base=$(git rev-parse -q --verify HEAD~1) || base=""
    fi
    echo "$base"
}

mode=${1:-all}
[ "$mode" = changed ] && [ -z "$(diff_base)" ] && mode=all  # a one-commit shallow clone
case "$mode" in
    all)
        # One output file per source, gathered in name order: two clang-tidy processes
        # writing into one file lose lines.
        dir=$(mktemp -d)
        git ls-files -- '*.cpp' | grep -E "^($(echo $sources | tr ' ' '|'))/" |
            xargs -n1 -P"$jobs" sh -c \
                'clang-tidy -p "$1" --quiet "$3" >"$2/$(echo "$3" | tr / _)" 2>&1' \
                tidy "$build" "$dir"
        cat "$dir"/* >"$out"
        rm -rf "$dir"
        ;;
    changed)
        git diff -U0 "$(diff_base)" -- $sources |
            clang-tidy-diff -p1 -path "$build" -j"$jobs" -quiet -iregex '.*\.(cpp|hpp)' \
                >"$out" 2>&1
        ;;
    *)
        echo "usage: tools/tidy.sh [all|changed]" >&2
        exit 2
        ;;
esac
# clang-tidy's own chatter ("12 warnings generated.") is not a finding.
grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^No relevant changes|^$' "$out"
if grep -qE ': (error|warning): |^Error while processing' "$out"; then
    echo "tidy: findings above ($mode)"
    exit 1
fi
echo "tidy: clean ($mode)"
