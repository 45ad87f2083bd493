#!/usr/bin/env bash
# Scale benchmark (issue 16): generates the pack plus N rules with Scripts/scale-pack.py
# (seeded) and measures, with release binaries:
#   1. `rescind check` on the set: wall time, median of RUNS runs, and peak RSS, the
#      largest of those runs (/usr/bin/time -f '%e %M');
#   2. the cost of one decision through `rescind eval --jsonl` (decode + decide + JSON):
#      (user time of R requests - user time of 1 request) / (R - 1), each user time the
#      median of RUNS runs, so the load is taken out;
#   3. reload impact: `rescind serve` on the set, RescindLoad in an open loop at a fixed
#      rate (RATE, else half the throughput a closed-loop run measured first) for
#      LOAD_SECONDS, steady and then with POST /v1/policies:reload every RELOAD_EVERY
#      seconds; p50 / p99 / max of the decisions, each reload's wall time, the server's
#      RSS before each reload (the set the last one replaced is freed by then) and at the end.
# It ends with a Markdown table row for docs/performance.md ("Policy sets at scale").
#
#   Scripts/scale-bench.sh N [--seed S] [--skip-reload | --reload-only] [--files K]
#
# Environment: RESCIND_BIN (a folder with `rescind` and `RescindLoad`; default the
# release build, built when missing), REQUESTS (R, default 200000), RUNS (default 3),
# LOAD_SECONDS (default 30), RELOAD_EVERY (default 5), RATE (requests/s), CONNECTIONS
# (default 8), KEEP=1 (keep the generated folder), RESCIND_MAX_FILE_SIZE (bytes; passed
# on to every `rescind` run, for binaries that read it: the set then stays in 10 files).
# Without it the rules are cut into more files, each under the default 1 MiB per-file
# limit (`--files K` sets the count).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: Scripts/scale-bench.sh N [--seed S] [--skip-reload | --reload-only] [--files K]" >&2; exit 64; }
[ $# -ge 1 ] || usage
rules=$1
shift
[[ $rules =~ ^[0-9]+$ ]] || usage
seed=1 skip_reload=0 reload_only=0 files=
while [ $# -gt 0 ]; do
    case $1 in
        --seed) [ $# -ge 2 ] || usage; seed=$2; shift 2 ;;
        --files) [ $# -ge 2 ] || usage; files=$2; shift 2 ;;
        --skip-reload) skip_reload=1; shift ;;
        --reload-only) reload_only=1; shift ;;
        *) usage ;;
    esac
done
requests=${REQUESTS:-200000}
runs=${RUNS:-3}
load_seconds=${LOAD_SECONDS:-30}
reload_every=${RELOAD_EVERY:-5}
connections=${CONNECTIONS:-8}
for value in "$requests" "$runs" "$load_seconds" "$reload_every" "$connections"; do
    [[ $value =~ ^[1-9][0-9]*$ ]] || { echo "REQUESTS, RUNS, LOAD_SECONDS, RELOAD_EVERY and CONNECTIONS are positive integers" >&2; exit 64; }
done
(( requests >= 2 )) || { echo "REQUESTS must be at least 2" >&2; exit 64; }

if [ -n "${RESCIND_BIN:-}" ]; then
    bin=$RESCIND_BIN
else
    bin=$(swift build -c release --show-bin-path)
    for product in rescind RescindLoad; do
        if [ ! -x "$bin/$product" ]; then
            echo "building $product (release)…" >&2
            swift build -c release --product "$product" >/dev/null
        fi
    done
fi
for product in rescind RescindLoad; do
    [ -x "$bin/$product" ] || { echo "no $bin/$product" >&2; exit 1; }
done
if [ "$skip_reload" = 0 ] && ! "$bin/RescindLoad" --help | grep -q -- '--rate'; then
    echo "$bin/RescindLoad has no --rate (an older build): rebuild it, or pass --skip-reload" >&2
    exit 1
fi

# About 490 bytes a rule: 2,000 rules (980 KB) stay under the default 1 MiB per-file limit.
if [ -z "$files" ]; then
    if [ -n "${RESCIND_MAX_FILE_SIZE:-}" ]; then
        export RESCIND_MAX_FILE_SIZE
        files=10
    else
        files=$(( (rules + 1999) / 2000 ))
        (( files < 10 )) && files=10
    fi
fi

work=$(mktemp -d /tmp/rescind-scale.XXXXXX)
server=
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
set_dir=$work/set
generated=$requests
[ "$reload_only" = 1 ] && generated=1000  # the load sends the first 1000
python3 Scripts/scale-pack.py "$rules" "$set_dir" --seed "$seed" --requests "$generated" --files "$files" >/dev/null
mv "$set_dir/requests.jsonl" "$work/requests.jsonl"
head -n 1 "$work/requests.jsonl" > "$work/one.jsonl"
largest=$(find "$set_dir" -name '*.yaml' -printf '%s\n' | sort -n | tail -n 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "scale bench: the pack plus $rules generated rules (seed $seed) in $files files, largest $largest bytes;" \
    "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); commit $commit; binaries $bin"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

check_wall="—" check_mb="—" decision_us="—"
if [ "$reload_only" = 0 ]; then
# 1. check
walls=() rss=()
for _ in $(seq "$runs"); do
    if ! /usr/bin/time -o "$work/time" -f '%e %M' "$bin/rescind" check "$set_dir" >"$work/check.out" 2>&1; then
        echo "rescind check failed:" >&2
        head -n 20 "$work/check.out" >&2
        exit 1
    fi
    read -r wall kb < "$work/time"
    walls+=("$wall")
    rss+=("$kb")
done
check_wall=$(printf '%s\n' "${walls[@]}" | median)
check_mb=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }')
echo "check: ${walls[*]} s wall (median $check_wall s of $runs runs); peak RSS $check_mb MB (the largest of the runs)"

# 2. decision cost: user time of R requests less that of 1, per request.
user_of() {
    local input=$1 out=$2
    /usr/bin/time -o "$work/time" -f '%U' "$bin/rescind" eval --policies "$set_dir" --jsonl "$input" >"$out" 2>"$work/eval.err" \
        || { echo "rescind eval failed:" >&2; head -n 5 "$work/eval.err" >&2; exit 1; }
    cat "$work/time"
}
users_many=() users_one=()
for _ in $(seq "$runs"); do
    users_one+=("$(user_of "$work/one.jsonl" /dev/null)")
    users_many+=("$(user_of "$work/requests.jsonl" "$work/decisions.jsonl")")
done
decided=$(wc -l < "$work/decisions.jsonl")
errors=$(grep -c '^{"error"' "$work/decisions.jsonl" || true)
[ "$decided" = "$requests" ] || { echo "eval answered $decided of $requests lines" >&2; exit 1; }
user_one=$(printf '%s\n' "${users_one[@]}" | median)
user_many=$(printf '%s\n' "${users_many[@]}" | median)
decision_us=$(awk -v m="$user_many" -v o="$user_one" -v r="$requests" 'BEGIN { printf "%.2f", (m - o) * 1e6 / (r - 1) }')
echo "decision: (user time of $requests requests, median ${user_many} s, less that of 1 request, median ${user_one} s) / $(( requests - 1 ))" \
    "= $decision_us µs per decision through eval --jsonl ($errors error lines; $runs runs each)"
fi

row_reload="—"
if [ "$skip_reload" = 0 ]; then
    # 3. reload impact
    head -n 1000 "$work/requests.jsonl" > "$work/load.jsonl"
    token=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    LOG_LEVEL=info "$bin/rescind" serve --policies "$set_dir" --host 127.0.0.1 --port 0 --watch-interval 0 \
        --admin-token "$token" >"$work/serve.log" 2>&1 &
    server=$!
    port=
    # A large set takes a while to load before the server listens.
    for _ in $(seq 1 3000); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/serve.log" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "the server did not start listening" >&2; exit 1; }
    rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
    load() {
        "$bin/RescindLoad" --port "$port" --server-pid "$server" --connections "$connections" --json "$@" "$work/load.jsonl"
    }
    field() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1], {}, d))' "$1"; }
    if [ -n "${RATE:-}" ]; then
        rate=$RATE
        echo "serve: rate $rate requests/s (RATE)"
    else
        closed=$(load --duration 5 --warmup 1)
        max=$(field 'requests_per_second' <<<"$closed")
        rate=$(awk -v m="$max" 'BEGIN { printf "%.0f", m / 2 }')
        echo "serve: closed loop, $connections connections, 5 s: $max requests/s, p99 $(field 'latency_ms["p99"]' <<<"$closed") ms; open-loop rate: half, $rate requests/s"
    fi
    rss_before=$(rss_mb)
    steady=$(load --rate "$rate" --duration "$load_seconds" --warmup 2)
    # During reloads: one every RELOAD_EVERY seconds while the load runs.
    load --rate "$rate" --duration "$load_seconds" --warmup 2 > "$work/reloading.json" &
    loader=$!
    sleep 2  # the warm-up
    reload_times=() rss_between=()
    end=$(( $(date +%s) + load_seconds - reload_every ))
    next=$(( $(date +%s%N) + reload_every * 1000000000 ))
    while [ "$(date +%s)" -le "$end" ]; do
        # Every RELOAD_EVERY seconds from the last start, or at once when a reload took longer.
        wait_ns=$(( next - $(date +%s%N) ))
        (( wait_ns > 0 )) && sleep "$(awk -v n="$wait_ns" 'BEGIN { printf "%.3f", n / 1e9 }')"
        # Read before each reload, so the set the last one replaced has been freed.
        rss_between+=("$(rss_mb)")
        start=$(date +%s%N)
        next=$(( start + reload_every * 1000000000 ))
        status=$(curl -s -o "$work/reload.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
            "http://127.0.0.1:$port/v1/policies:reload")
        finish=$(date +%s%N)
        [ "$status" = 200 ] || { echo "reload answered $status: $(head -c 300 "$work/reload.out")" >&2; exit 1; }
        reload_times+=("$(awk -v a="$start" -v b="$finish" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')")
    done
    wait "$loader"
    rss_between+=("$(rss_mb)")
    reloading=$(cat "$work/reloading.json")
    for name in steady reloading; do
        summary=${!name}
        echo "serve, open loop at $rate requests/s, $connections connections, $load_seconds s, $name:" \
            "$(field 'requests' <<<"$summary") requests, statuses $(field 'statuses' <<<"$summary"), failed $(field 'failed' <<<"$summary");" \
            "latency ms p50 $(field 'latency_ms["p50"]' <<<"$summary") p99 $(field 'latency_ms["p99"]' <<<"$summary")" \
            "max $(field 'latency_ms["max"]' <<<"$summary"); sent after due p99 $(field 'send_delay_ms["p99"]' <<<"$summary") ms;" \
            "server CPU $(field 'server_cpu_seconds' <<<"$summary") s"
    done
    p99_steady=$(field 'latency_ms["p99"]' <<<"$steady")
    p99_reload=$(field 'latency_ms["p99"]' <<<"$reloading")
    ratio=$(awk -v a="$p99_reload" -v b="$p99_steady" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "reloads: ${#reload_times[@]}, wall s each: ${reload_times[*]}; server RSS MB before the load $rss_before," \
        "before each reload and at the end: ${rss_between[*]}"
    echo "reload impact: p99 $p99_steady ms steady, $p99_reload ms during reloads: ${ratio}×"
    row_reload="$p99_steady / $p99_reload ms (${ratio}×) at $rate/s; reload $(printf '%s\n' "${reload_times[@]}" | median) s"
fi

echo
echo "| rules | \`rescind check\` (median of $runs) | peak RSS | decision, eval --jsonl ($requests requests) | p99 steady / during reloads | commit |"
echo "|---|---|---|---|---|---|"
printf '| %s | %s s | %s MB | %s µs | %s | `%s` |\n' "$rules" "$check_wall" "$check_mb" "$decision_us" "$row_reload" "$commit"
