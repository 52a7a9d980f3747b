#!/usr/bin/env bash
# `ota run --app URI` given a delta patch instead of a full image, against
# real servers: nginx (Range) and python's http.server (no Range).
#  - a synthetic pair made by `ota delta make` (esp and compact formats):
#    applied byte for byte, the new app boots;
#  - a patch for another app: refused (OTA_ERR_DELTA_BASE) with no flash
#    write; --app-fallback / CONFIG_FIRMWARE_FALLBACK_URI take the full image,
#    also when the patch is not on the server (404);
#  - the connection dropped mid-patch: nginx resumes it (206), python's
#    server restarts it from patch byte 0; the result is byte-exact;
#  - with ../shared/vectors: every vector patch applies onto a device running
#    its old release, byte for byte, and the new release boots; esp_delta_ota's
#    own bad_patch.bin is caught by the image check and never selected.
# Usage: test_delta_item.sh OTA [VECTORS_DIR]
set -u
OTA=$1
VEC=${2:-}
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

. "$HERE/item_device.sh"

$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/www/new.bin" --project play_mp3_control --version v2.0.0 --size 230000 >/dev/null
$OTA image make "$T/other.bin" --project ota_example --version v1.5.0 --size 180000 >/dev/null
$OTA delta make "$T/old.bin" "$T/www/new.bin" "$T/www/old-new.espdelta" --format esp >/dev/null
$OTA delta make "$T/old.bin" "$T/www/new.bin" "$T/www/old-new.compact" --format compact >/dev/null
$OTA delta make "$T/other.bin" "$T/www/new.bin" "$T/www/other-new.espdelta" >/dev/null
start_nginx "$T/www"
start_python_server "$T/www"
NG="http://127.0.0.1:$NGINX_PORT" PY="http://127.0.0.1:$PY_PORT"

# ---- synthetic pair ---------------------------------------------------------
for f in old-new.espdelta old-new.compact; do
    for base in "$NG" "$PY"; do
        name="$f via $([ "$base" = "$NG" ] && echo nginx || echo python)"
        device_running "$T/old.bin"
        expect_ok "$name: ota run --app PATCH" $OTA -v run "$D" --app "$base/$f" --json
        expect_out "$name: reported as a patch" '"patch": *true'
        installed "$name" "$T/www/new.bin"
    done
done

device_running "$T/old.bin"
expect_fail "a patch for another app is refused" 1 "OTA_ERR_DELTA_BASE" $OTA -v run "$D" --app "$NG/other-new.espdelta"
expect_log "  ... before any flash write" "FLASH: 0 sector erases, 0 block erases .* 0 page programs"
still_old "a patch for another app"

expect_ok "--app-fallback takes the full image" $OTA -v run "$D" --app "$NG/other-new.espdelta" \
    --app-fallback "$NG/new.bin" --json
expect_out "  ... and says so" '"fell_back": *true'
installed "fallback" "$T/www/new.bin"

device_running "$T/old.bin"
printf 'CONFIG_FIRMWARE_UPGRADE_URI="%s"\nCONFIG_FIRMWARE_FALLBACK_URI="%s"\n' "$NG/other-new.espdelta" \
    "$NG/new.bin" >"$T/sdkconfig"
expect_ok "CONFIG_FIRMWARE_FALLBACK_URI takes the full image" $OTA -v run "$D" --config "$T/sdkconfig"
expect_log "  ... without an unknown-key warning" "taking the full image"
if grep -q "unknown key" "$T/err"; then fail "CONFIG_FIRMWARE_FALLBACK_URI is a known key" "$T/err"
else pass "CONFIG_FIRMWARE_FALLBACK_URI is a known key"; fi
installed "fallback from sdkconfig" "$T/www/new.bin"

# A patch never published: nginx answers 404 and the full image is taken;
# without a fallback the item fails on the 404, nothing written.
device_running "$T/old.bin"
expect_fail "a missing patch without a fallback fails" 1 "OTA_ERR_HTTP_STATUS" \
    $OTA -v run "$D" --app "$NG/unpublished.compact"
expect_log "  ... on the 404" "HTTP 404"
still_old "a missing patch without a fallback"
expect_ok "a missing patch (404): --app-fallback takes the full image" $OTA -v run "$D" \
    --app "$NG/unpublished.compact" --app-fallback "$NG/new.bin" --json
expect_out "  ... and says so" '"fell_back": *true'
installed "fallback on 404" "$T/www/new.bin"

expect_fail "--app-fallback with --manifest is bad usage" 2 "give one" $OTA -v run "$D" --manifest "$NG/m.json" \
    --manifest-pub /dev/null --app-fallback "$NG/new.bin"

# drop_patch NAME UPSTREAM PATCH NEW: the first connection dies half way through the patch
drop_patch() {
    local name=$1 upstream=$2 patch=$3 new=$4 size
    size=$(stat -c %s "$T/www/$patch")
    start_cut_proxy "$upstream" $((size / 2))
    expect_ok "$name: completes" $OTA -v run "$D" --app "http://127.0.0.1:$PROXY_PORT/$patch" --retry-backoff 20
    stop_cut_proxy
    installed "$name" "$new"
    local got
    got=$(received)
    echo "     $name: ${got:-?} bytes received for a $size-byte patch"
    if [ "$upstream" = "$NGINX_PORT" ]; then
        if [ -n "$got" ] && [ "$got" -lt $((size * 11 / 10)) ] && grep -q "(resumed)" "$T/err"; then
            pass "$name: resumed with 206 at the patch byte it stopped at"
        else fail "$name: resumed with 206" "$T/err"; fi
    elif [ -n "$got" ] && [ "$got" -gt "$size" ]; then
        pass "$name: restarted from patch byte 0 (no Range)"
    else fail "$name: restarted from patch byte 0" "$T/err"; fi
}
device_running "$T/old.bin"
drop_patch "synthetic, nginx, dropped at 50%" "$NGINX_PORT" old-new.compact "$T/www/new.bin"
device_running "$T/old.bin"
drop_patch "synthetic, python, dropped at 50%" "$PY_PORT" old-new.espdelta "$T/www/new.bin"

# ---- the vectors: real releases, real patches --------------------------------
if [ -z "$VEC" ] || [ ! -d "$VEC/delta" ]; then
    skip "vector patches (no ../shared/vectors)"
    finish
    exit  # the synthetic part ran: its result, not "Skipped" as a whole
fi
V="$VEC/delta"
rels=(d2d8d982 b7855e8e 32641331 cf645f84 12198e8d)
for i in 0 1 2 3; do
    o=${rels[$i]} n=${rels[$((i + 1))]}
    cp "$V/korvo-$o-$n.espdelta" "$V/korvo-$n.bin" "$T/www/"
    device_running "$V/korvo-$o.bin"
    expect_ok "vector $o -> $n: ota run --app PATCH" $OTA -v run "$D" --app "$NG/korvo-$o-$n.espdelta"
    expect_log "  ... applied as a patch" "made from $(stat -c %s "$V/korvo-$o-$n.espdelta") patch bytes"
    installed "vector $o -> $n" "$V/korvo-$n.bin"
done
device_running "$V/korvo-d2d8d982.bin"
drop_patch "vector d2d8d982 -> b7855e8e, nginx, dropped at 50%" "$NGINX_PORT" korvo-d2d8d982-b7855e8e.espdelta \
    "$V/korvo-b7855e8e.bin"
device_running "$V/korvo-d2d8d982.bin"
drop_patch "vector d2d8d982 -> b7855e8e, python, dropped at 50%" "$PY_PORT" korvo-d2d8d982-b7855e8e.espdelta \
    "$V/korvo-b7855e8e.bin"

# esp_delta_ota's bad_patch.bin: as its component serves it (a bare detools
# patch) it is no image and no patch with a header: refused before a write.
A="$V/esp_delta_ota_test"
cp "$A/bad_patch.bin" "$T/www/"
device_running "$V/korvo-b7855e8e.bin"
expect_fail "bad_patch.bin as it is: refused" 1 "OTA_ERR_IMG_MAGIC|OTA_ERR_DELTA" $OTA -v run "$D" --app "$NG/bad_patch.bin"
still_old "bad_patch.bin as it is"
# With esp_delta_ota's 64-byte header naming the running app (as its
# generator writes it), it applies, and the image check catches its output.
{
    printf '\x10\xde\xcd\xfc'
    tail -c 32 "$V/korvo-b7855e8e.bin"
    head -c 28 /dev/zero
    cat "$A/bad_patch.bin"
} >"$T/www/bad_patch.espdelta"
expect_fail "bad_patch.bin with a header for the running app: caught by the image check" 1 "OTA_ERR_IMG_" \
    $OTA -v run "$D" --app "$NG/bad_patch.espdelta"
if grep -q "is a patch for the running app" "$T/err"; then pass "  ... after its base check passed"
else fail "  ... after its base check passed" "$T/err"; fi
still_old "bad_patch.bin with a header"
finish
