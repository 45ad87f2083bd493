#!/usr/bin/env bash
# Calls every endpoint of a running `rescind serve` with curl.
#   rescind serve --policies Policies --admin-token secret &
#   Examples/clients/curl.sh [http://127.0.0.1:8080] [admin token]
set -euo pipefail
base=${1:-http://127.0.0.1:8080}
token=${2:-${RESCIND_ADMIN_TOKEN:-secret}}
cd "$(dirname "$0")/../.."

show() { echo "\$ $*"; "$@"; echo; }
# Decision bodies must be sent as JSON (415 otherwise; curl's -d sends a form type).
json='Content-Type: application/json'

show curl -s "$base/healthz"
show curl -s "$base/readyz"
# One decision: the body is the request JSON `rescind eval` takes.
show curl -s "$base/v1/decisions" -H "$json" \
    --data-binary @Examples/requests/buyer-paid-card.json
# Reasons in English, whatever the request's `locale` says.
show curl -s "$base/v1/decisions" -H "$json" -H 'Accept-Language: en' \
    --data-binary @Examples/requests/buyer-after-shipment.json
# With the explanation.
show curl -s "$base/v1/decisions?explain=true&locale=en" -H "$json" --data-binary @Examples/requests/abuse-review.json
# A batch: a JSON array; a bad item gets its own error entry.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "[$(cat Examples/requests/buyer-paid-card.json), {\"id\": 1}]" > "$tmp/batch.json"
show curl -s "$base/v1/decisions:batch" -H "$json" --data-binary @"$tmp/batch.json"
show curl -s "$base/v1/policies" -H "Authorization: Bearer $token"
show curl -s -X POST "$base/v1/policies:reload" -H "Authorization: Bearer $token"
# Check a candidate set without loading it: a JSON map of file name → YAML text.
python3 -c 'import json,glob,os; print(json.dumps({os.path.basename(p): open(p).read() for p in glob.glob("Policies/*.yaml") if not p.endswith(".tests.yaml")}))' > "$tmp/candidate.json"
show curl -s "$base/v1/policies:check" -H "Authorization: Bearer $token" -H "$json" --data-binary @"$tmp/candidate.json"
curl -s "$base/metrics" | grep -E '^rescind_' | head -20
