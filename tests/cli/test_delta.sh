#!/usr/bin/env bash
# ota delta make|apply|info on the vectors' real firmware and the
# esp_delta_ota component's assets. Usage: test_delta.sh OTA VECTORS_DIR
set -uo pipefail
OTA=$1
V=${2:-}/delta
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib.sh"

# --- on images made here (no vectors needed) ----------------------------------
mkdir -p "$T/s/sd"
S=$T/s
$OTA image make "$S/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$S/new.bin" --project ota_example --version v2.0.0 --size 200000 >/dev/null
$OTA image make "$S/other.bin" --project ota_example --version v1.5.0 --size 200000 >/dev/null
expect_ok "make a patch of two made images" "$OTA" delta make "$S/old.bin" "$S/new.bin" "$S/p.esp"
expect_ok "  it applies" "$OTA" delta apply "$S/old.bin" "$S/p.esp" "$S/r.bin"
expect_ok "  byte for byte" cmp "$S/r.bin" "$S/new.bin"
no_temps() { ! ls "$S" | grep -q '\.new-'; }

# A failed apply writes nothing: no OUT appears, an existing OUT is kept.
head -c $(( $(stat -c %s "$S/p.esp") / 2 )) "$S/p.esp" >"$S/half.esp"
expect_fail "a truncated patch fails" 1 "half.esp: .*OTA_ERR_DELTA_TRUNCATED.*nothing written" \
    "$OTA" delta apply "$S/old.bin" "$S/half.esp" "$S/none.bin"
[ ! -e "$S/none.bin" ] && pass "  and leaves no OUT" || fail "  and leaves no OUT (a partial one is there)"
no_temps && pass "  nor a temporary file" || fail "  nor a temporary file"
printf 'keep me\n' >"$S/keep.bin"
expect_fail "a patch for another base fails" 1 "OTA_ERR_DELTA_BASE" \
    "$OTA" delta apply "$S/other.bin" "$S/p.esp" "$S/keep.bin"
[ "$(cat "$S/keep.bin")" = "keep me" ] && pass "  and the existing OUT is untouched" \
    || fail "  and the existing OUT is untouched"
expect_fail "a truncated patch over an existing OUT" 1 "OTA_ERR_DELTA_TRUNCATED" \
    "$OTA" delta apply "$S/old.bin" "$S/half.esp" "$S/keep.bin"
[ "$(cat "$S/keep.bin")" = "keep me" ] && pass "  leaves it untouched" || fail "  leaves it untouched"
mkdir "$S/adir"
expect_fail "OUT a directory: named, the patch not blamed" 1 "adir: a directory.*OTA_ERR_NOT_REGULAR" \
    "$OTA" delta apply "$S/old.bin" "$S/p.esp" "$S/adir"
expect_fail "a full disk mid-write names OUT" 1 "keep.bin: .*OTA_ERR_NO_SPACE" \
    bash -c 'trap "" XFSZ; ulimit -f 64; exec "$@"' sh "$OTA" delta apply "$S/old.bin" "$S/p.esp" "$S/keep.bin"
[ "$(cat "$S/keep.bin")" = "keep me" ] && pass "  and keeps the old OUT" || fail "  and keeps the old OUT"
no_temps && pass "  no temporary file stays" || fail "  no temporary file stays"
expect_ok "a good apply replaces an existing OUT" "$OTA" delta apply "$S/old.bin" "$S/p.esp" "$S/keep.bin"
expect_ok "  with the new image" cmp "$S/keep.bin" "$S/new.bin"

# The failed item of `ota run` names a patch failure in the seed's words too.
# (a patch for old.bin on a device running other.bin; half a patch on one running old.bin)
for app in other old; do
    "$OTA" flash create "$S/$app.img" --table "$HERE/../../examples/ota_example/partitions.csv" >/dev/null
    "$OTA" flash write "$S/$app.img" ota_0 "$S/$app.bin" >/dev/null
    "$OTA" boot "$S/$app.img" >/dev/null 2>&1
done
cp "$S/p.esp" "$S/sd/p.esp"
cp "$S/half.esp" "$S/sd/half.esp"
for c in "other:p.esp:OTA_ERR_DELTA_BASE" "old:half.esp:OTA_ERR_DELTA_TRUNCATED"; do
    dev=${c%%:*} c=${c#*:}
    "$OTA" -v run "$S/$dev.img" --app "file://sdcard/${c%%:*}" --sdcard "$S/sd" --json >"$T/run.json" 2>"$T/run.err"
    if python3 -c 'import json,sys; it=json.load(open(sys.argv[1]))["items"][0]
sys.exit(0 if it["error"]["name"].startswith(sys.argv[2]) and it["result"] != "UNKNOWN" else 1)' "$T/run.json" "${c#*:}"; then
        pass "run: ${c%%:*} fails with ${c#*:}..., result named ($(grep -o '"result": *"[A-Z_]*"' "$T/run.json"))"
    else
        fail "run: ${c%%:*} fails with ${c#*:}..., result not UNKNOWN" "$T/run.json"
    fi
    grep -q "OTA failed: UNKNOWN" "$T/run.err" && fail "run: no UNKNOWN in the log" "$T/run.err"
done

# --- on the vectors' real firmware -------------------------------------------
if [ ! -d "$V" ]; then
    skip "the vector patches (no vectors at $V)"
    finish
    exit
fi
D=$V/esp_delta_ota_test

expect_ok "apply the component's patch.bin" "$OTA" delta apply "$D/base.bin" "$D/patch.bin" "$T/new.bin" --chunk 1
expect_ok "  gives new.bin exactly" cmp "$T/new.bin" "$D/new.bin"
expect_ok "bad_patch.bin applies (well formed)" "$OTA" delta apply "$D/base.bin" "$D/bad_patch.bin" "$T/bad.bin"
expect_fail "  and the image check refuses its output" 1 "OTA_ERR_IMG_MAGIC" "$OTA" image verify "$T/bad.bin"

expect_ok "info on an esp_delta_ota patch" "$OTA" delta info "$V/korvo-d2d8d982-b7855e8e.espdelta"
expect_out "  names the old image's appended SHA-256" "base sha256: $(tail -c 32 "$V/korvo-d2d8d982.bin" | od -An -tx1 | tr -d ' \n')"
expect_out "  and the new size" "new size: 2275648"
expect_ok "apply a vector patch" "$OTA" delta apply "$V/korvo-d2d8d982.bin" "$V/korvo-d2d8d982-b7855e8e.espdelta" "$T/b7.bin"
expect_ok "  byte for byte" cmp "$T/b7.bin" "$V/korvo-b7855e8e.bin"
expect_fail "a patch for another base is refused" 1 "OTA_ERR_DELTA_BASE" \
    "$OTA" delta apply "$V/korvo-b7855e8e.bin" "$V/korvo-d2d8d982-b7855e8e.espdelta" "$T/x.bin"
[ ! -e "$T/x.bin" ] && pass "  and writes nothing" || fail "  and writes nothing"

for fmt in esp compact; do
    expect_ok "make --format $fmt" "$OTA" delta make "$V/korvo-b7855e8e.bin" "$V/korvo-32641331.bin" "$T/p.$fmt" --format $fmt
    expect_ok "  applies in 7-byte chunks" "$OTA" delta apply "$V/korvo-b7855e8e.bin" "$T/p.$fmt" "$T/r.$fmt" --chunk 7
    expect_ok "  byte for byte" cmp "$T/r.$fmt" "$V/korvo-32641331.bin"
done
expect_ok "info on a compact patch" "$OTA" delta info "$T/p.compact"
expect_out "  says compact" "patch: compact"
head -c 1000 "$T/p.compact" >"$T/short.compact"
expect_fail "a truncated compact patch fails" 1 "OTA_ERR_DELTA_(TRUNCATED|CORRUPT|RESULT)" \
    "$OTA" delta apply "$V/korvo-b7855e8e.bin" "$T/short.compact" "$T/y.bin"
expect_fail "an unknown --format is bad usage" 2 "esp or compact" \
    "$OTA" delta make "$D/base.bin" "$D/new.bin" "$T/z" --format xz
expect_fail "an app image is not a patch" 1 "OTA_ERR_DELTA_FORMAT" "$OTA" delta info "$V/korvo-d2d8d982.bin"
finish
