#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets and runs each for a fixed number of inputs (optionally also a
# time cap), then prints one summary line per target. Exits non-zero if any target crashed.
#
#   nice -n 19 Tests/Fuzz/run.sh                  # all seven targets, 1,000,000 inputs each
#   RUNS=100000 Tests/Fuzz/run.sh                 # all seven, 100k inputs each
#   Tests/Fuzz/run.sh "FuzzSCTP FuzzDCEP"         # some targets, 1M inputs each
#   Tests/Fuzz/run.sh FuzzSDP 300                 # one target: RUNS inputs or 300 s, whichever first
#   TIMEOUT=10 Tests/Fuzz/run.sh FuzzSCTP         # report an input that runs over 10 s as a hang (default 60)
#
# Targets: FuzzSTUN FuzzRTP FuzzRTCP FuzzSDP FuzzDTLS FuzzSCTP FuzzDCEP (see README.md).
# Crashes land in Tests/Fuzz/Artifacts/<name>/; new interesting inputs grow Tests/Fuzz/.corpus/<name>/
# (a scratch copy seeded from Tests/Fuzz/Corpus/, so the checked-in seeds stay small).
set -euo pipefail
cd "$(dirname "$0")"

all="FuzzSTUN FuzzRTP FuzzRTCP FuzzSDP FuzzDTLS FuzzSCTP FuzzDCEP"
targets="${1:-$all}"
seconds="${2:-0}"  # libFuzzer's -max_total_time: 0 = no time cap
runs="${RUNS:-1000000}"
# One input taking longer than this is reported as a hang (libFuzzer's default is 20 minutes;
# no input of these targets needs more than a fraction of a second).
timeout="${TIMEOUT:-60}"

# A trap in Swift code would otherwise start the runtime's backtracer, which fights ASan and
# libFuzzer over the crash signal (garbled reports) and can outlive the target, holding its
# output open; libFuzzer's own report has the stack and saves the input.
export SWIFT_BACKTRACE=enable=no

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
summary=()
for target in $targets; do
    name="${target#Fuzz}"
    mkdir -p ".corpus/$name" "Artifacts/$name"
    cp -n Corpus/"$name"/* ".corpus/$name/" 2>/dev/null || true
    log=".build/$target.log"
    cap=""
    [ "$seconds" != 0 ] && cap=" or $seconds s"
    echo "== $target: $runs inputs$cap (log: Tests/Fuzz/$log)"
    status=0
    start=$(date +%s)
    .build/release/"$target" -runs="$runs" -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 \
        -artifact_prefix="Artifacts/$name/" ".corpus/$name" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    coverage=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \/ \2/p')
    result="ok"
    if [ "$status" -ne 0 ]; then
        result="FAILED (exit $status)"
        echo "!! $target exited with $status; the end of its log:"
        tail -40 "$log"
        failed=1
    fi
    summary+=("$(printf '%-9s %10s inputs %6s s  cov/ft %-13s peak RSS %5s MB  %s' \
        "$target" "${executed:-?}" "$elapsed" "${coverage:-?}" "${rss:-?}" "$result")")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
