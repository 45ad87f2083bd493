#!/usr/bin/env bash
# End-to-end `rescind eval --jsonl` throughput on one core: N requests (cycling through
# Examples/requests, one JSON object per line) in, N decisions out.
#
#   Scripts/jsonl-throughput.sh [N]        # default 300000
#
# RESCIND_CPU picks the core (default 0). RESCIND_RUNS=K runs K times on the same input
# and adds the best and the median (the machine is shared: one run says little).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300000}
swift build -c release --product rescind >/dev/null
bin=$(swift build -c release --show-bin-path)/rescind
input=$(mktemp /tmp/rescind-requests.XXXXXX.jsonl)
trap 'rm -f "$input"' EXIT
python3 - "$n" "$input" <<'PY'
import json, glob, sys
n, path = int(sys.argv[1]), sys.argv[2]
lines = [json.dumps(json.load(open(f)), ensure_ascii=False, separators=(",", ":"))
         for f in sorted(glob.glob("Examples/requests/*.json"))]
with open(path, "w") as out:
    for i in range(n):
        out.write(lines[i % len(lines)] + "\n")
PY
runs=${RESCIND_RUNS:-1}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RESCIND_RUNS must be a positive integer" >&2; exit 2; }
rates=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    taskset -c "${RESCIND_CPU:-0}" "$bin" eval --policies Policies --jsonl "$input" > /tmp/rescind-decisions.jsonl
    end=$(date +%s%N)
    lines=$(wc -l < /tmp/rescind-decisions.jsonl)
    errors=$(grep -c '^{"error"' /tmp/rescind-decisions.jsonl || true)
    elapsed_ms=$(( (end - start) / 1000000 ))
    rate=$(( lines * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
    rates+=("$rate")
    echo "$lines decisions ($errors errors) in ${elapsed_ms} ms: $rate decisions/s"
done
if (( runs > 1 )); then
    sorted=($(printf '%s\n' "${rates[@]}" | sort -n))
    # The middle run, or the mean of the two middle runs for an even count.
    median=$(( (sorted[(runs - 1) / 2] + sorted[runs / 2]) / 2 ))
    echo "best ${sorted[$(( runs - 1 ))]} decisions/s, median $median decisions/s over $runs runs"
fi
