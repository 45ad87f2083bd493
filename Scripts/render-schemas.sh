#!/usr/bin/env bash
# Regenerates docs/schema/*.json, the JSON Schemas editors validate policy and test
# files with (docs/editors.md), from their one source: `rescind schema`
# (Sources/RescindTooling/JSONSchema). Run it after changing the schemas or the loader's
# vocabulary (effects, obligation types, scalar types …) and commit the result;
# JSONSchemaTests fails while docs/schema/ differs from what the command prints.
#
#   Scripts/render-schemas.sh                          # builds rescind (debug) first
#   RESCIND_BIN=.build/release/rescind Scripts/render-schemas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RESCIND_BIN:-}" ]; then
    bin=$RESCIND_BIN
else
    swift build --product rescind >&2
    bin="$(swift build --show-bin-path)/rescind"
fi
# Written into a fresh folder first, so a failure leaves docs/schema/ as it was, and a
# kind that no longer exists leaves no file behind.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" schema --output-dir "$out"
mkdir -p docs/schema
rm -f docs/schema/*.json
cp "$out"/*.json docs/schema/
ls docs/schema
