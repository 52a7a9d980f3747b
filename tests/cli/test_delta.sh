#!/usr/bin/env bash
# ota delta make|apply|info on the vectors' real firmware and the
# esp_delta_ota component's assets. Usage: test_delta.sh OTA VECTORS_DIR
set -uo pipefail
OTA=$1
V=$2/delta
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
[ -d "$V" ] || { echo "no vectors at $V: skipped"; exit 77; }
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
[ ! -s "$T/x.bin" ] && pass "  and writes nothing" || fail "  and writes nothing"

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
