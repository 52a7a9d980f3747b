#!/usr/bin/env bash
# The README's example runs as written, from a directory laid out like the
# repository root (build/ota, examples/), and says what the README says.
# Usage: test_readme.sh OTA_BINARY
set -u
OTA=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

# The indented block after "Example, from the repository root", up to the
# next blank line after it.
awk '/^Example, from the repository root/ {on = 1; next}
     on && /^    / {print substr($0, 5); seen = 1; next}
     on && seen && /^$/ {exit}' "$SRC/README.md" >"$T/example.sh"
if [ "$(wc -l <"$T/example.sh")" -ge 5 ]; then pass "README: the example block found ($(wc -l <"$T/example.sh") lines)"
else fail "README: the example block found" "$T/example.sh"; fi

mkdir -p "$T/root/build"
ln -s "$OTA" "$T/root/build/ota"
ln -s "$SRC/examples" "$T/root/examples"
(cd "$T/root" && bash -e "$T/example.sh") >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ]; then pass "README: the example runs as written"; else fail "README: the example runs as written (exit $rc)" "$T/err"; fi
# What its comments promise: the last boot is ota_1 running play_mp3_control.
expect_out "README: the device boots ota_1" "^booted: ota_1"
if grep -q "Project name: *play_mp3_control" "$T/err"; then pass "README: the log names play_mp3_control"
else fail "README: the log names play_mp3_control" "$T/err"; fi
if tail -n 1 "$T/out" | grep -q "ota_1" && ! tail -n 1 "$T/out" | grep -q "^booted"; then
    pass "README: the --json line prints the running app (ota_1)"
else fail "README: the --json line prints the running app (ota_1)" "$T/out"; fi
finish
