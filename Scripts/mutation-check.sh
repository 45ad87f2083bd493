#!/usr/bin/env bash
# Shows that the three-sided differential test (Tests/RescindPolicyTests/
# ThreeSidedDifferentialTests.swift) catches bugs in the planner and the shortcuts:
# applies each one-line mutation in Scripts/mutations/*.patch in turn, builds, runs
# only the test's fixed sweep, requires it to FAIL, and reverts the mutation (also on
# Ctrl-C or error). Exits non-zero when a mutation survives or does not apply.
#
#   Scripts/mutation-check.sh                     # every mutation
#   Scripts/mutation-check.sh Scripts/mutations/tier-floor.patch
#
# What each mutation breaks:
#   enum-settle-not           the planner negates a `not:` of one enum test wrongly (shortcuts only)
#   window-count-edge         the native window count counts an item exactly `window` old (shortcuts only)
#   native-comparison-greater `>` compared as `>=` natively (shortcuts only)
#   tier-floor                a tier is reached only above its `at_least` (both engine sides:
#                             only the reference evaluator can tell)
#
# Regenerating a patch after the engine's code moves: make the one-line change by hand
# in the file, `git diff > Scripts/mutations/NAME.patch`, then `git checkout -- FILE`.
# Keep each patch to a single line so it survives unrelated edits.
set -euo pipefail
cd "$(dirname "$0")/.."

patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(Scripts/mutations/*.patch)
filter="ThreeSidedDifferentialTests/fixedSweep"
log_dir=$(mktemp -d)
applied=""

revert() {
    if [ -n "$applied" ]; then
        git apply -R "$applied"
        applied=""
    fi
}
trap revert EXIT INT TERM

# Never mutate files with changes of their own: reverting must restore them exactly.
for patch in "${patches[@]}"; do
    for file in $(sed -n 's|^+++ b/||p' "$patch"); do
        if ! git diff --quiet HEAD -- "$file"; then
            echo "error: $file has uncommitted changes; commit or stash them first" >&2
            exit 2
        fi
    done
done

survived=0
for patch in "${patches[@]}"; do
    name=$(basename "$patch" .patch)
    if ! git apply --check "$patch" 2>/dev/null; then
        echo "$name: DOES NOT APPLY (regenerate it; see the header of this script)"
        survived=1
        continue
    fi
    git apply "$patch"
    applied="$patch"
    if ! swift build --build-tests >"$log_dir/$name.build" 2>&1; then
        echo "$name: DOES NOT BUILD (see $log_dir/$name.build)"
        survived=1
        revert
        continue
    fi
    if swift test --skip-build --filter "$filter" >"$log_dir/$name.test" 2>&1; then
        echo "$name: SURVIVED (the test passed with the mutation)"
        survived=1
    else
        # The first difference: which sides disagreed, and on what.
        echo "$name: caught"
        grep -m1 -o 'RESCIND_DIFF_SEED=[0-9]* RESCIND_DIFF_SET=[0-9]*' "$log_dir/$name.test" | sed 's/^/    /' || true
        grep -m1 -o 'first difference .*' "$log_dir/$name.test" | cut -c1-300 | sed 's/^/    /' || true
    fi
    revert
done
echo "logs: $log_dir"
# Leave the build matching the tree again.
swift build --build-tests >"$log_dir/final.build" 2>&1 || echo "warning: the rebuild of the unmutated tree failed (see $log_dir/final.build)"
exit $survived
