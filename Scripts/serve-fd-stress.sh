#!/usr/bin/env bash
# Runs `rescind serve` out of file descriptors on loopback and says whether it survived
# (docs/server.md, "Connections"). Each run starts the server with a decision log that
# rotates, a watcher polling every 0.2 s, and either a low open-file limit from the
# start (`low`) or the limit lowered under the running server to 40 above what it uses
# (`lowered`); then 300 clients that send half a request and hold it for 15 s, and 60
# decisions one every 0.2 s. It prints, per run, whether the server was still alive, the
# CPU it used while the clients held their connections, and its accept errors.
#
#   Scripts/serve-fd-stress.sh [RUNS] [low|lowered]      # default 4 runs, lowered
#
# Before the connection layer (commit 8282767) runs like these ended in SIGILL
# (libdispatch failing to open /proc) or spun a core on failed accepts.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-4}
mode=${2:-lowered}
command -v prlimit >/dev/null || { echo "prlimit (util-linux) is needed" >&2; exit 1; }
swift build --product rescind >/dev/null 2>&1
bin=$(swift build --show-bin-path 2>/dev/null)/rescind
work=$(mktemp -d /tmp/rescind-fd-stress.XXXXXX)
server=
cleanup() {
    [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/slow.py" <<'PY'
import socket, sys, time
port, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
held = []
for _ in range(count):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.send(b"POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        held.append(s)
    except OSError:
        break
time.sleep(hold)
PY

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for run in $(seq "$runs"); do
    launcher=()
    [ "$mode" = low ] && launcher=(prlimit --nofile=128:128)
    "${launcher[@]}" "$bin" serve --policies Policies --port 0 --log-format json --watch-interval 0.2 \
        --decision-log "$work/d-$run.jsonl" --decision-log-max-bytes 20000 >"$work/serve-$run.log" 2>&1 &
    server=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*"message":"listening".*"port":"\([0-9]*\)".*/\1/p' "$work/serve-$run.log" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "run $run: the server did not start"; cat "$work/serve-$run.log"; exit 1; }
    if [ "$mode" = lowered ]; then
        open=$(ls "/proc/$server/fd" | wc -l)
        prlimit --pid "$server" --nofile=$((open + 40)):$((open + 40))
    fi
    python3 "$work/slow.py" "$port" 300 15 &
    clients=$!
    sleep 2
    before=$(cpu "$server")
    for _ in $(seq 60); do
        curl -s -m 1 -o /dev/null -H 'Content-Type: application/json' \
            --data-binary @Examples/requests/buyer-paid-card.json "127.0.0.1:$port/v1/decisions" &
        sleep 0.2
    done
    used=$(( $(cpu "$server") - before ))
    wait "$clients" || true
    sleep 2
    if kill -0 "$server" 2>/dev/null; then
        errors=$(curl -s -m 5 "127.0.0.1:$port/metrics" | sed -n 's/^rescind_accept_errors_total{errno="EMFILE"} //p')
        echo "run $run ($mode): alive; ${used} ticks of CPU in 12 s; EMFILE accept errors ${errors:-?}; $(grep -c 'backing off' "$work/serve-$run.log") back-off warnings"
        kill "$server"
        wait "$server" || true
    else
        status=0
        wait "$server" || status=$?
        echo "run $run ($mode): DIED, exit $status"
    fi
    server=
done
