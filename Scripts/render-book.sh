#!/usr/bin/env bash
# Renders the policy book of the shipped pack (Policies/) into docs/book/, in both
# locales and both formats: policy-book.{en,zh-CN}.{md,html}.
#
#   Scripts/render-book.sh
#
# Run it after any change to Policies/ or to the book's code; the test
# "docs/book is current" (Tests/RescindCLITests/BookCommandTests.swift) fails until the
# committed files match. RESCIND_BIN names a `rescind` binary to use instead of building
# the debug one. The book reads no clock (nothing in it depends on the day), but the
# date is pinned anyway, as for every CLI run in the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RESCIND_BIN:-}" ]; then
    bin=$RESCIND_BIN
else
    nice swift build --product rescind >/dev/null
    bin=$(swift build --show-bin-path)/rescind
fi
export RESCIND_TODAY=2026-06-01 NO_COLOR=1
mkdir -p docs/book
for locale in en zh-CN; do
    "$bin" book --policies Policies --locale "$locale" --format markdown --output "docs/book/policy-book.$locale.md"
    "$bin" book --policies Policies --locale "$locale" --format html --output "docs/book/policy-book.$locale.html"
done
echo "rendered docs/book/policy-book.{en,zh-CN}.{md,html}"
