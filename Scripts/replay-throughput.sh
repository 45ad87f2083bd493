#!/usr/bin/env bash
# End-to-end `rescind replay` throughput and memory: N decision-log entries replayed
# against Policies (baseline) and a copy with tier `abuse-review` from 5 to 4
# cancellations (candidate), every request decided by both.
#
#   Scripts/replay-throughput.sh [N] [JOBS]     # default 1000000 requests, one job per processor
#
# The log comes from Scripts/generate-request-log.py (fixed seed): up to 50,000
# distinct entries, repeated to N lines. Prints the elapsed time, the rate and the peak
# resident memory (from /usr/bin/time -v when installed, else the VmHWM that
# /proc/PID/status reports, sampled until the process exits).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
jobs=${2:-$(nproc)}
swift build -c release --product rescind >/dev/null
bin=$(swift build -c release --show-bin-path)/rescind
work=$(mktemp -d /tmp/rescind-replay-throughput.XXXXXX)
trap 'rm -rf "$work"' EXIT

distinct=$(( n < 50000 ? n : 50000 ))
Scripts/generate-request-log.py --count "$distinct" --rescind "$bin" > "$work/distinct.jsonl"
python3 - "$n" "$work/distinct.jsonl" "$work/requests.jsonl" <<'PY'
import sys
n, source, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = open(source, encoding="utf-8").readlines()
with open(target, "w", encoding="utf-8") as out:
    for i in range(n):
        out.write(lines[i % len(lines)])
PY
cp -r Policies "$work/candidate"
python3 - "$work/candidate/abuse-thresholds.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
assert text.count("at_least: 5") == 1
open(path, "w", encoding="utf-8").write(text.replace("at_least: 5", "at_least: 4"))
PY

command=("$bin" replay --requests "$work/requests.jsonl" --baseline Policies --candidate "$work/candidate"
         --jobs "$jobs" --format json)
start=$(date +%s%N)
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "${command[@]}" > "$work/report.json" 2> "$work/time.txt"
    peak_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
else
    "${command[@]}" > "$work/report.json" &
    pid=$!
    peak_kb=0
    while kill -0 "$pid" 2>/dev/null; do
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$hwm" ] && peak_kb=$hwm
        sleep 0.05
    done
    wait "$pid"
fi
end=$(date +%s%N)
elapsed_ms=$(( (end - start) / 1000000 ))
summary=$(python3 - "$work/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"{report['replayed']} replayed, {report['changed']} changed, {report['bad_lines']} bad")
PY
)
echo "$n requests ($(du -m "$work/requests.jsonl" | cut -f1) MB), $jobs jobs: $summary"
echo "elapsed ${elapsed_ms} ms: $(( n * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) )) requests/s; peak RSS $(( peak_kb / 1024 )) MB"
