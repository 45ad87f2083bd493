#!/usr/bin/env bash
# `rescind history import` throughput: N generated cancellation events (JSON lines,
# seeded: the same file every run) into a fresh SQLite file, with the release build.
#
#   Scripts/history-import-bench.sh [N]      # default 1000000
#
# RESCIND_SEED changes the seed (default 14); RESCIND_BATCH sets --batch-size; RESCIND_BIN
# names a release binary to use instead of building one. Prints the
# import's own summary (its events/s covers reading, checking and writing the file) and
# the wall time of the whole command.
#
# Measured (2026-12-06, shared 2-core machine, load ~14): 1,000,000 events in 38.2 s,
# 26,182 events/s; reading and checking alone 6.9 s wall (3.4 s CPU); the import used
# 13.7 s user + 4.0 s system CPU, so most of the rest is SQLite's page writes and waits.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
seed=${RESCIND_SEED:-14}
# RESCIND_BIN: a release `rescind` already built (else it is built here).
if [ -n "${RESCIND_BIN:-}" ]; then
    bin=$RESCIND_BIN
else
    nice swift build -c release --product rescind >/dev/null
    bin=$(swift build -c release --show-bin-path)/rescind
fi
dir=$(mktemp -d /tmp/rescind-history-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
python3 - "$n" "$seed" "$dir/events.jsonl" <<'PY'
import random, sys, datetime
n, seed, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
initiators = ["buyer"] * 6 + ["seller", "support", "system"]
reasons = ["changed_mind", "found_cheaper", "delivery_too_slow", "other"]
with open(path, "w") as out:
    for i in range(1, n + 1):
        at = start + datetime.timedelta(seconds=rng.randrange(365 * 86400), microseconds=rng.randrange(1000) * 1000)
        out.write('{"order_id":"o-%08d","buyer_id":"u-%d","seller_id":"s-%d","at":"%s","initiator":"%s",'
                  '"reason":"%s","request_id":"req-%08d"}\n' % (
                      i, rng.randrange(200000), rng.randrange(5000), at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                      rng.choice(initiators), rng.choice(reasons), i))
PY
echo "events: $n ($(du -h "$dir/events.jsonl" | cut -f1)), seed $seed"
start=$(date +%s%N)
"$bin" history import --history "sqlite:$dir/history.db" ${RESCIND_BATCH:+--batch-size "$RESCIND_BATCH"} "$dir/events.jsonl"
end=$(date +%s%N)
echo "wall: $(( (end - start) / 1000000 )) ms; database $(du -h "$dir/history.db" | cut -f1)"
"$bin" history stats --history "sqlite:$dir/history.db"
