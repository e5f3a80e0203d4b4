#!/usr/bin/env bash
# Runs typecheck and test of every project (nx, two at a time; extra arguments go to nx) and, when any task fails,
# repeats the failures' own lines at the very end. nx streams two projects' output interleaved, and a CI log read
# from its tail would otherwise end in "Failed tasks: …" without saying which test failed or why.
set -uo pipefail
log=$(mktemp -t nibble-test.XXXXXX)
trap 'rm -f "$log"' EXIT
nx run-many -t typecheck test --outputStyle=stream --parallel=2 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "── nibble: the failures above, repeated (first 80 lines) ──"
  sed 's/\x1b\[[0-9;]*m//g' "$log" |
    grep -E ' FAIL | × |error TS[0-9]+|Caused by:|AssertionError|Error: |Counterexample:|seed: |Failed tasks|^- @nibble/' |
    head -n 80
fi
exit "$status"
