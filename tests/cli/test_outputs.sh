#!/usr/bin/env bash
# Every command that writes an output file writes it whole: the file
# appears by rename once all of it is written, so a failure (a full disk
# mid-write, a directory in the way) leaves an existing file as it was and
# no partial file or temporary beside it. Usage: test_outputs.sh OTA
set -u
OTA=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

W=$T/w  # the only folder outputs go to, so a leftover temporary shows
mkdir -p "$W" "$T/in"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/in/p.csv"
$OTA image make "$T/in/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/in/new.bin" --project play_mp3_control --version v2.0.0 --size 300000 >/dev/null
$OTA delta make "$T/in/old.bin" "$T/in/new.bin" "$T/in/p.esp" >/dev/null
head -c 3000 /dev/urandom >"$T/in/a.mp3"
$OTA flash create "$T/in/dev.img" --table "$T/in/p.csv" >/dev/null
$OTA flash write "$T/in/dev.img" ota_0 "$T/in/old.bin" >/dev/null

# The commands, OUT last in each; "flash create" makes a device image.
CMDS=(
    "tone make|OUT $T/in/a.mp3"
    "partition make|$T/in/p.csv OUT"
    "image make|OUT --project x --version v1.0.0 --size 100000"
    "image sign|$T/in/old.bin OUT --key $HERE/../data/test_rsa3072.pem"
    "flash read|$T/in/dev.img ota_0 OUT"
    "flash create|OUT --table $T/in/p.csv"
    "delta make|$T/in/old.bin $T/in/new.bin OUT"
    "delta apply|$T/in/old.bin $T/in/p.esp OUT"
)

# run_cmd SPEC OUT [LIMIT_KIB]: the command with OUT in place, stdout/err to files
run_cmd() {
    local name=${1%%|*} args=${1#*|} limit=${3:-unlimited}
    # shellcheck disable=SC2086
    set -- $name ${args//OUT/$2}
    ( trap '' XFSZ; ulimit -f "$limit"; exec "$OTA" "$@" ) >"$T/out" 2>"$T/err"
}
no_temps() { [ "$(find "$W" -name '*.new-*' | wc -l)" -eq 0 ]; }

for spec in "${CMDS[@]}"; do
    name=${spec%%|*}
    rm -rf "${W:?}"/*
    printf 'keep me\n' >"$W/out"

    # a full disk (the file-size limit) after the first KiB
    run_cmd "$spec" "$W/out" 1; rc=$?
    if [ $rc -eq 1 ] && grep -q "disk is full" "$T/err"; then pass "$name: a full disk is a clean error"
    else fail "$name: a full disk is a clean error (exit $rc)" "$T/err"; fi
    [ "$(cat "$W/out")" = "keep me" ] && pass "$name:   the existing OUT is untouched" \
        || fail "$name:   the existing OUT is untouched"
    no_temps && pass "$name:   no temporary file stays" || fail "$name:   no temporary file stays"

    # a directory where OUT should be
    mkdir "$W/dir"
    run_cmd "$spec" "$W/dir"; rc=$?
    if [ $rc -eq 1 ] && grep -q "a directory" "$T/err" && [ -d "$W/dir" ] && no_temps; then
        pass "$name: a directory in the way is refused, nothing written"
    else fail "$name: a directory in the way is refused, nothing written (exit $rc)" "$T/err"; fi

    # success replaces the file by rename: a new inode, the old one's
    # content never half-overwritten
    exec 9<"$W/out"  # hold the old file open: its inode must not be reused
    before=$(stat -c %i "$W/out")
    run_cmd "$spec" "$W/out"; rc=$?
    after=$(stat -c %i "$W/out")
    if [ $rc -eq 0 ] && [ "$before" != "$after" ] && [ "$(cat <&9)" = "keep me" ] && [ "$(stat -c %s "$W/out")" -gt 1024 ]; then
        pass "$name: success renames a whole new file into place"
    else fail "$name: success renames a whole new file into place (exit $rc, inode $before -> $after)" "$T/err"; fi
    exec 9<&-
    no_temps && pass "$name:   no temporary file stays" || fail "$name:   no temporary file stays"
done

finish
