#!/usr/bin/env bash
# Hostile patches served over HTTP to `ota run --app URI`: every one ends at
# once with its own error, nothing is written, the running app keeps booting.
#  - a patch (esp_delta_ota header naming the running app, then detools,
#    heatshrink or our compact form) whose body never produces output: from
#    nginx (8 MiB of it) and from a server that trickles it at 4 KiB/s (it
#    would take over half an hour): OTA_ERR_DELTA_STALLED within seconds,
#    not at the item's deadline;
#  - a patch whose header names an image bigger than the slot:
#    OTA_ERR_DELTA_OUTPUT_BOUND before any byte is written.
# Usage: test_hostile_patch.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

. "$HERE/item_device.sh"
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null

# stalling FORM NEW_SIZE BODY OUT: a patch for old.bin whose body is BODY zero
# bytes (FORM: detools, heatshrink, compact), announcing NEW_SIZE bytes.
stalling() {
    python3 - "$T/old.bin" "$@" <<'EOF'
import struct, sys
old, form, new_size, body, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
img = open(old, "rb").read()
base = img[-32:]  # the appended SHA-256: how a patch names its base
if form == "compact":
    head = struct.pack("<I4sII", 0x94544F4F, b"\x07\0\0\0", len(img), new_size) + base + b"\x5a" * 32
else:
    size, v = bytearray([new_size & 0x3F]), new_size >> 6
    while v:
        size[-1] |= 0x80
        size.append(v & 0x7F)
        v >>= 7
    head = struct.pack("<I", 0xFCCDDE10) + base + bytes(28)
    head += bytes([4 if form == "heatshrink" else 0]) + bytes(size) + (b"\x44" if form == "heatshrink" else b"")
with open(out, "wb") as f:
    f.write(head)
    f.write(bytes(body))
EOF
}

for form in detools heatshrink compact; do
    stalling $form 230000 $((8 << 20)) "$T/www/stall-$form.patch"
done
stalling detools $((4 << 20)) 4096 "$T/www/huge.patch"
start_nginx "$T/www"
start_fault_server "$T/www"
NG="http://127.0.0.1:$NGINX_PORT" FS="http://127.0.0.1:$FAULT_PORT"

for form in detools heatshrink compact; do
    for how in nginx trickle; do
        url="$NG/stall-$form.patch"
        [ "$how" = trickle ] && url="$FS/trickle/4096/stall-$form.patch"
        name="a $form patch that never produces output ($how)"
        device_running "$T/old.bin"
        start=$(date +%s)
        # --deadline 60: without the stall rule the trickle ends there (else at 900 s)
        expect_fail "$name: refused" 1 "OTA_ERR_DELTA_STALLED" $OTA -v run "$D" --app "$url" --deadline 60
        took=$(($(date +%s) - start))
        if [ "$took" -le 15 ]; then pass "$name: ends in ${took} s, not at the deadline"
        else fail "$name: took ${took} s"; fi
        expect_log "  ... before any flash write" "FLASH: 0 sector erases, 0 block erases .* 0 page programs"
        still_old "$name"
    done
done

device_running "$T/old.bin"
expect_fail "a patch naming a 4 MiB image for a 3 MiB slot: refused" 1 "OTA_ERR_DELTA_OUTPUT_BOUND" \
    $OTA -v run "$D" --app "$NG/huge.patch"
expect_log "  ... before any flash write" "FLASH: 0 sector erases, 0 block erases .* 0 page programs"
still_old "a patch naming a 4 MiB image"
finish
