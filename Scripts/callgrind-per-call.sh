#!/usr/bin/env bash
# Instructions per call of RescindBench benchmarks, as docs/performance.md measures them: two
# callgrind runs of one round each (N = 2,000 and 12,000 calls, no warm-up); the
# difference divided by 10,000 is the count per call, free of start-up costs.
#
#   Scripts/callgrind-per-call.sh [BENCH_BINARY] [FILTER...]
#
# BENCH_BINARY defaults to .build/release/RescindBench (build it first:
# `swift build -c release --product RescindBench`). Each FILTER is a benchmark name
# prefix, as `RescindBench FILTER` takes it; the defaults are the decision benchmarks.
set -euo pipefail
binary=${1:-.build/release/RescindBench}
shift || true
filters=("$@")
if [ ${#filters[@]} -eq 0 ]; then
    filters=("decision, buyer-paid-card" "decision, abuse-review" "decision, every example" "decision with explanation, buyer-paid-card")
fi
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
count() {  # N FILTER -> total instructions
    RESCIND_BENCH_ITERATIONS=$1 valgrind --tool=callgrind --callgrind-out-file="$scratch/out" \
        "$binary" "$2" >/dev/null 2>"$scratch/err"
    grep -m1 '^summary:' "$scratch/out" | awk '{print $2}'
}
# RESCIND_CALLGRIND_CALLS=N measures with N and 6N calls instead: start-up noise (a few
# dozen instructions, hashing is seeded per process) then weighs 1/(5N) per call, which
# matters for benchmarks of a few hundred instructions.
small_calls=${RESCIND_CALLGRIND_CALLS:-2000}
large_calls=$((small_calls * 6))
for filter in "${filters[@]}"; do
    small=$(count "$small_calls" "$filter")
    large=$(count "$large_calls" "$filter")
    awk -v a="$small" -v b="$large" -v n="$((large_calls - small_calls))" -v f="$filter" \
        'BEGIN { printf "%-50s %8.0f instructions per call\n", f, (b - a) / n }'
done
