#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets and runs each for a bounded time/number of inputs.
#
#   Tests/Fuzz/run.sh                       # all four targets, 1M inputs or 10 minutes each
#   Tests/Fuzz/run.sh FuzzSDP 300           # one target, at most 300 s
#   RUNS=100000 Tests/Fuzz/run.sh FuzzRTP   # stop after 100k inputs
#
# Crashes land in Tests/Fuzz/Artifacts/<target>/; new interesting inputs grow Tests/Fuzz/.corpus/<target>/
# (a scratch copy seeded from Tests/Fuzz/Corpus/, so the checked-in seeds stay small).
set -euo pipefail
cd "$(dirname "$0")"

targets=("${1:-FuzzSTUN FuzzRTP FuzzRTCP FuzzSDP FuzzDTLS}")
seconds="${2:-600}"
runs="${RUNS:-1000000}"

# SwiftPM on Linux links executables with --defsym main=<Target>_main, which GNU gold (the
# default) fails on next to libFuzzer's own main; LLVM's lld, shipped with the toolchain, works.
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
mkdir -p .build
cat > .build/lld-toolset.json <<JSON
{ "schemaVersion": "1.0", "linker": { "path": "$swift_bin/ld.lld" } }
JSON

echo "== building (log: Tests/Fuzz/.build/fuzz-build.log)"
if ! swift build -c release -Xswiftc -sanitize=fuzzer,address --toolset .build/lld-toolset.json >.build/fuzz-build.log 2>&1; then
    grep -E 'error' .build/fuzz-build.log | head -20
    exit 1
fi

failed=0
for target in ${targets[@]}; do
    name="${target#Fuzz}"
    mkdir -p ".corpus/$name" "Artifacts/$name"
    cp -n Corpus/"$name"/* ".corpus/$name/" 2>/dev/null || true
    log=".build/$target.log"
    echo "== $target: up to $runs inputs or $seconds s (log: Tests/Fuzz/$log)"
    status=0
    .build/release/"$target" -runs="$runs" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="Artifacts/$name/" ".corpus/$name" >"$log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "!! $target exited with $status; the end of its log:"
        tail -40 "$log"
        failed=1
    fi
done
exit "$failed"
