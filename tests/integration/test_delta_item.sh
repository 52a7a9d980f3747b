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

# ---- a compact patch resumes at the journal's last checkpoint ----------------
# (a sync point every 64 KiB of the new image): after a power cut and after
# the process is killed (kill -9) while it waits to reconnect, the next run
# asks nginx for the rest from the checkpoint's input offset: nginx's log
# shows it sent at most the remainder plus one checkpoint interval. A
# checkpoint that does not match is never believed.
$OTA image make "$T/big-old.bin" --project ota_example --version v1.0.0 --size 600000 >/dev/null
$OTA image make "$T/www/big-new.bin" --project play_mp3_control --version v2.0.0 --size 640000 >/dev/null
expect_ok "ota delta make --sync 64K" $OTA delta make "$T/big-old.bin" "$T/www/big-new.bin" "$T/www/big.compact" \
    --format compact --sync 64K
psize=$(stat -c %s "$T/www/big.compact")
# one checkpoint interval in patch bytes: the longest run of them between sync points
interval=$($OTA delta apply "$T/big-old.bin" "$T/www/big.compact" "$T/applied.bin" --chunk 1 --json |
    python3 -c 'import json, sys; r = json.load(sys.stdin); o = [84] + [c["patch_offset"] for c in r["checkpoints"]]
print(max(b - a for a, b in zip(o, o[1:] + [int(sys.argv[1])])))' "$psize")
ACCESS="$T/nginx/logs/access.log"
sent_last() { awk '{print $10}' "$ACCESS" | tail -1; }  # body bytes of nginx's last response
resumed_within() {  # NAME GOT1: the rerun's log in $T/err, GOT1 what the first run had taken
    local got2 rest
    got2=$(sent_last)
    rest=$((psize - $2))
    if grep -q "resuming the compact patch at its checkpoint" "$T/err" && tail -1 "$ACCESS" | grep -q '" 206 ' &&
        [ -n "$got2" ] && [ "$got2" -le $((rest + interval)) ]; then
        pass "  ... $1: resumed at a checkpoint: nginx sent $got2 bytes, remainder $rest + interval $interval"
    else fail "  ... $1: resumed at a checkpoint (nginx sent $got2 bytes, remainder $rest + interval $interval)" "$T/err"; fi
}
device_running "$T/big-old.bin"
$OTA -v run "$D" --app "$NG/big.compact" --power-cut-at 500 >"$T/first" 2>&1
if [ $? -eq 3 ]; then pass "power cut while a compact patch installs"; else fail "the power cut did not happen" "$T/first"; fi
still_old "after the power cut"
got1=$(sed -n 's/.*received \([0-9]*\) bytes over.*/\1/p' "$T/first" | tail -1)
expect_ok "the next run completes" $OTA -v run "$D" --app "$NG/big.compact"
resumed_within "power cut" "${got1:-0}"
installed "resumed after a power cut" "$T/www/big-new.bin"

device_running "$T/big-old.bin"
start_cut_proxy "$NGINX_PORT" $((psize * 3 / 4))
CUTURL="http://127.0.0.1:$PROXY_PORT/big.compact"
killed_while_reconnecting "$T/first" $OTA -v run "$D" --app "$CUTURL" --retry-backoff 60000
still_old "after kill -9"
expect_ok "after kill -9 the next run completes" $OTA -v run "$D" --app "$CUTURL"
stop_cut_proxy
resumed_within "kill -9" "${got1:-0}"
installed "resumed after kill -9" "$T/www/big-new.bin"

# Checkpoints that do not match: another patch at the URI (a new validator),
# another running app, a forged slot past the patch's end or inside an op.
device_running "$T/big-old.bin"
$OTA -v run "$D" --app "$NG/big.compact" --power-cut-at 500 >"$T/first" 2>&1
cp "$T/www/big.compact" "$T/big.compact.kept"
$OTA image make "$T/www/big-new2.bin" --project play_mp3_control --version v2.0.1 --size 640000 >/dev/null
$OTA delta make "$T/big-old.bin" "$T/www/big-new2.bin" "$T/www/big.compact" --format compact --sync 64K >/dev/null
touch -d '+1 minute' "$T/www/big.compact"
expect_ok "another patch at the same URI after the cut: installs" $OTA -v run "$D" --app "$NG/big.compact"
if ! grep -q "resuming the compact patch" "$T/err" && [ "$(sent_last)" -eq "$(stat -c %s "$T/www/big.compact")" ]; then
    pass "  ... from byte 0, the old checkpoint not believed"
else fail "  ... from byte 0" "$T/err"; fi
installed "another patch after the cut" "$T/www/big-new2.bin"
cp "$T/big.compact.kept" "$T/www/big.compact"

device_running "$T/big-old.bin"
$OTA -v run "$D" --app "$NG/big.compact" --power-cut-at 500 >/dev/null 2>&1
$OTA flash write "$D" ota_0 "$T/other.bin" >/dev/null  # another app runs now; the journal in ota_1 stays
expect_fail "another running app: the checkpoint is not believed, the patch refused" 1 "OTA_ERR_DELTA_BASE" \
    $OTA -v run "$D" --app "$NG/big.compact"
expect_log "  ... the checkpoint named the other base" "checkpoint cannot be resumed .*another base"

# forge_slot DELTA: a valid checkpoint slot (its CRCs right) at the journal's
# last checkpoint's input offset + DELTA, its output offset
forge_slot() {
    python3 - "$D" "$1" <<'PY'
import struct, sys, zlib
path, delta = sys.argv[1], int(sys.argv[2])
f = open(path, "r+b")
best = None
for copy in (0, 1):
    at = 0x310000 + 0x300000 - 0x2000 + copy * 0x1000
    f.seek(at); s = f.read(0x1000)
    magic, seq, state = struct.unpack_from("<III", s, 0)
    if magic == 0x4A41544F and state == 3 and (best is None or seq > best[1]):
        best = (at, seq, s)
at, _, s = best
ident = s[3760:3836]
last = None
for i in range(16):
    e = s[3840 + 16 * i:3856 + 16 * i]
    if e == b"\xff" * 16:
        break
    last = struct.unpack_from("<II", e)
sync = struct.unpack_from("<I", ident, 4)[0]
body = struct.pack("<III", last[0] + delta, last[1], zlib.crc32(ident))
f.seek(at + 3840 + 16 * i); f.write(body + struct.pack("<I", zlib.crc32(body)))
PY
}
for hostile in "past the patch's end:1000000" "inside an op:7"; do
    device_running "$T/big-old.bin"
    $OTA -v run "$D" --app "$NG/big.compact" --power-cut-at 500 >/dev/null 2>&1
    forge_slot "${hostile#*:}"
    $OTA -v run "$D" --app "$NG/big.compact" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 0 ] && ! grep -q "resuming the compact patch" "$T/err"; then
        pass "a forged checkpoint ${hostile%%:*}: not believed, from byte 0"
        installed "forged checkpoint ${hostile%%:*}" "$T/www/big-new.bin"
    elif [ $rc -eq 1 ] && grep -Eq "OTA_ERR_DELTA_[A-Z]+" "$T/err"; then
        pass "a forged checkpoint ${hostile%%:*}: refused with a named error"
        still_old "forged checkpoint ${hostile%%:*}"
        expect_ok "  ... the next run starts from byte 0 and installs" $OTA -v run "$D" --app "$NG/big.compact"
        installed "after the forged checkpoint ${hostile%%:*}" "$T/www/big-new.bin"
    else fail "a forged checkpoint ${hostile%%:*}: refused or from byte 0 (exit $rc)" "$T/err"; fi
done

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
