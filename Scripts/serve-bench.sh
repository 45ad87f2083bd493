#!/usr/bin/env bash
# Load benchmark for `rescind serve` on loopback: builds release, starts the service on
# a free port, runs RescindLoad for a bounded time (single decisions, then batches of
# 100, then GET /healthz for the HTTP stack's own cost), stops the service and prints
# the figures, with the client's and the server's CPU time. The client runs on the
# same machine as the server and takes its CPU time from it.
#
#   Scripts/serve-bench.sh [SECONDS] [CONNECTIONS]        # default 10 s, 32 connections
#
# Environment: SCRATCH_PATH (build folder, default .build), BATCH_CONNECTIONS (default
# 4), CLIENT_THREADS (default 1), JSON=1 (summaries as JSON lines), RESCIND_SERVE_ARGS
# (more `rescind serve` flags, split on spaces), e.g.
#
#   RESCIND_SERVE_ARGS="--decision-log /tmp/d.jsonl --decision-log-durability fsync" Scripts/serve-bench.sh 5
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
batch_connections=${BATCH_CONNECTIONS:-4}
threads=${CLIENT_THREADS:-1}
scratch=${SCRATCH_PATH:-.build}
json=()
[ "${JSON:-0}" = 1 ] && json=(--json)
serve_args=()
# Split on spaces on purpose: flags and values without spaces in them.
# shellcheck disable=SC2206
[ -n "${RESCIND_SERVE_ARGS:-}" ] && serve_args=(${RESCIND_SERVE_ARGS})

log=$(mktemp /tmp/rescind-serve-bench.XXXXXX.log)
for product in rescind RescindLoad; do
    swift build -c release --scratch-path "$scratch" --product "$product" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
done
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path 2>/dev/null)

LOG_LEVEL=info "$bin/rescind" serve --policies Policies --host 127.0.0.1 --port 0 --watch-interval 0 \
    ${serve_args[@]+"${serve_args[@]}"} >"$log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -f "$log"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port, and Hummingbird logs the one it got.
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start listening" >&2; cat "$log" >&2; exit 1; }

echo "rescind serve (release) ${serve_args[*]+${serve_args[*]} }on 127.0.0.1:$port; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?); $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== single decisions: POST /v1/decisions, $connections connections, ${seconds} s"
"$bin/RescindLoad" --port "$port" --server-pid "$server" --connections "$connections" --threads "$threads" \
    --duration "$seconds" --warmup 2 "${json[@]}"
echo "== batches of 100: POST /v1/decisions:batch, $batch_connections connections, ${seconds} s"
"$bin/RescindLoad" --port "$port" --server-pid "$server" --connections "$batch_connections" --threads "$threads" \
    --duration "$seconds" --warmup 2 --batch 100 "${json[@]}"
echo "== for comparison, the HTTP stack alone: GET /healthz, $connections connections, ${seconds} s"
"$bin/RescindLoad" --port "$port" --server-pid "$server" --connections "$connections" --threads "$threads" \
    --duration "$seconds" --warmup 2 --get /healthz "${json[@]}"
