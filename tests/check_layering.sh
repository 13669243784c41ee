#!/bin/sh
# The layers depend downwards only: protocol/ ← embed/ ← server/. Python and pybind11 stay
# in embed/; protocol/ does no I/O. A grep is enough to keep it so.
set -u
status=0
fail() { echo "layering: $1"; status=1; }

hits=$(grep -rlE '#include *[<"](Python\.h|pybind11/)' --include='*.cpp' --include='*.hpp' \
    protocol server tests/unit 2>/dev/null)
[ -n "$hits" ] && fail "Python/pybind11 included outside embed/: $hits"

hits=$(grep -rlE '#include *[<"](boost/asio|sys/socket\.h|netinet/|unistd\.h|Python\.h|pybind11/|fstream|iostream|cstdio)' \
    --include='*.cpp' --include='*.hpp' protocol)
[ -n "$hits" ] && fail "I/O, Asio or Python in protocol/: $hits"

hits=$(grep -rlE '#include *"(embed|server)/' --include='*.cpp' --include='*.hpp' protocol)
[ -n "$hits" ] && fail "protocol/ includes an upper layer: $hits"

hits=$(grep -rlE '#include *"server/' --include='*.cpp' --include='*.hpp' embed)
[ -n "$hits" ] && fail "embed/ includes server/: $hits"

hits=$(grep -rlE '#include *"server/worker/' --include='*.cpp' --include='*.hpp' server/master)
[ -n "$hits" ] && fail "the master includes worker/: $hits"

hits=$(grep -rlE '\bfork\(\)' --include='*.cpp' server embed protocol | grep -v 'server/process/fork_process.cpp')
[ -n "$hits" ] && fail "fork() outside server/process/fork_process.cpp: $hits"

hits=$(grep -rlE '#include *<yaml-cpp' --include='*.cpp' --include='*.hpp' . | grep -v 'server/options/yaml_reader.cpp' | grep -v '^./build')
[ -n "$hits" ] && fail "yaml-cpp outside the YAML reader: $hits"

# Boost.Process forks and reaps on its own, outside the fork bracket: one file may use it.
hits=$(grep -rlE '#include *<boost/process' --include='*.cpp' --include='*.hpp' \
    protocol embed server tests/unit | grep -v '^server/cron/cron_runner.cpp$')
[ -n "$hits" ] && fail "Boost.Process outside server/cron/cron_runner.cpp: $hits"

# yaml-cpp's types stay inside the YAML loader's .cpp: no header may name them.
hits=$(grep -rl 'YAML::' --include='*.hpp' protocol embed server tests/unit)
[ -n "$hits" ] && fail "YAML:: in a header: $hits"

# server/'s sub-folders form a graph with no cycle (server/*.cpp, the composition root, may
# include them all). An edge is a #include "server/X/..." in server/Y/; tsort names a loop.
loop=$(grep -rE '^#include *"server/[a-z_]+/' --include='*.cpp' --include='*.hpp' server |
    sed -nE 's|^server/([a-z_]+)/[^:]*:#include *"server/([a-z_]+)/.*|\1 \2|p' |
    awk '$1 != $2' | sort -u | tsort 2>&1 >/dev/null)
[ -n "$loop" ] && fail "include cycle between server/ sub-folders: $(echo "$loop" |
    sed -n 's/^tsort: \([a-z_]*\)$/\1/p' | awk '!seen[$0]++' | tr '\n' ' ')"

# Every descriptor has one owner, server/util/unique_fd.hpp, the only place that closes one.
# A call is `close(` not preceded by a name character, `.` or `->` (so `f.close()`,
# `drain_before_close(` and `close_result(` pass); comments and string literals are ignored.
hits=$(grep -rnE --include='*.cpp' --include='*.hpp' '(^|[^A-Za-z0-9_.>])close[[:space:]]*\(' \
    server embed protocol | grep -v '^server/util/unique_fd\.hpp:' \
    | sed -E 's#^([^:]*:[0-9]*:)#\1 #; s#//.*$##; s#"([^"\\]|\\.)*"#""#g' \
    | grep -E ':[0-9]+: .*(^|[^A-Za-z0-9_.>])close[[:space:]]*\(')
[ -n "$hits" ] && fail "close() outside server/util/unique_fd.hpp (own the descriptor in a unique_fd): $hits"

[ $status -eq 0 ] && echo "layering: ok"
exit $status
