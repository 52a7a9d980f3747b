#!/usr/bin/env bash
# Run one fuzz target for RUNS executions from its seeds (read-only: new
# inputs go to a scratch corpus). Prints libFuzzer's figures; fails on a finding.
# Usage: run.sh TARGET SEEDS RUNS [extra libFuzzer flags]
set -u
target=$1 seeds=$2 runs=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
"$target" -runs="$runs" -seed=1 -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1 "$@" \
    "$work/corpus" "$seeds" >"$work/log" 2>&1
rc=$?
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs|ERROR|SUMMARY" "$work/log"
if [ $rc -ne 0 ] || ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
    echo "FINDING in $(basename "$target"):"
    tail -40 "$work/log"
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do [ -e "$f" ] && xxd "$f" | head -20; done
    exit 1
fi
