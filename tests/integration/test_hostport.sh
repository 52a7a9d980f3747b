#!/usr/bin/env bash
# The host port trusts nothing (issue 9, points 3-8 and 10): one writer at a
# time, a device image that shrinks, eFuses and device properties that
# belong to the device, output files whole or not at all, the plain-http
# policy on every redirect hop, transfers that always end, no silent
# truncation of URIs and config values. Usage: test_hostport.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
MNT=""
trap 'stop_servers; [ -n "$MNT" ] && umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/www" "$T/sd"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
$OTA image make "$T/www/old.bin" --project ota_example --version v1.0.0 --size 100000 >/dev/null
$OTA image make "$T/www/new.bin" --project play_mp3_control --version v2.0.0 --size 200000 >/dev/null
$OTA flash create "$T/base.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/www/old.bin" >/dev/null
$OTA boot "$T/base.img" >/dev/null
start_python_server "$T/www"
start_fault_server "$T/www"
PY=http://127.0.0.1:$PY_PORT
FS=http://127.0.0.1:$FAULT_PORT
D="$T/dev.img"
fresh() { rm -f "$D".*; cp "$T/base.img" "$D"; }
boots_old() {  # NAME: the device still boots the old app from ota_0
    if $OTA boot "$D" >"$T/boot.log" 2>&1 && grep -q "^booted: ota_0" "$T/boot.log"; then pass "$1"; else fail "$1" "$T/boot.log"; fi
}

# ---- 3. one writer at a time ------------------------------------------------
fresh
# A run that holds the device for a while (a slow download), and a second writer.
$OTA -v run "$D" --app "$FS/trickle/20000/new.bin" --retries 0 >"$T/slow.log" 2>&1 &
SLOW=$!
sleep 2
expect_fail "second writer: device busy" 5 "device busy" $OTA flash erase "$D" ota_1
expect_fail "efuse burn while running: device busy" 5 "device busy" $OTA efuse "$D" --burn-secure-version 3
expect_fail "a reader during a write: busy, not a torn view" 5 "device busy" $OTA otadata show "$D"
if [ ! -e "$D.efuse" ]; then pass "busy: nothing burned"; else fail "busy: nothing burned"; fi
wait $SLOW
if grep -q "List id: 0, OTA success" "$T/slow.log"; then pass "the first writer finished"; else fail "the first writer finished" "$T/slow.log"; fi
# Readers work on a read-only image.
fresh
chmod 0444 "$D"
expect_ok "reader on a read-only image: otadata show" $OTA otadata show "$D"
expect_ok "reader on a read-only image: image verify --label" $OTA image verify "$D" --label ota_0
chmod 0644 "$D"
# An image that shrinks under a run ends it with an error, not SIGBUS.
fresh
$OTA -v run "$D" --app "$FS/trickle/40000/new.bin" --retries 0 >"$T/shrink.log" 2>&1 &
RUN=$!
sleep 2
truncate -s 1M "$D"
wait $RUN
rc=$?
if [ $rc -eq 1 ] && grep -q "shrank" "$T/shrink.log"; then pass "shrunk image: a clean error (exit $rc)"; else fail "shrunk image: a clean error (exit $rc)" "$T/shrink.log"; fi

# ---- 4. eFuses belong to the device ------------------------------------------
fresh
$OTA efuse "$D" --burn-key "$HERE/../data/test_rsa3072_pub.pem" --burn-secure-version 2 >/dev/null
ln -s "$D" "$T/link.img"
expect_ok "efuse through a symlink" $OTA efuse "$T/link.img"
expect_out "symlink sees the burned key" "enabled, key digest"
LONG="$T/$(printf 'd%.0s' $(seq 200))/$(printf 'e%.0s' $(seq 200))/$(printf 'f%.0s' $(seq 200))/$(printf 'g%.0s' $(seq 200))"
mkdir -p "$LONG"
LP="$LONG/../$(basename "$LONG")/././$(printf 'h%.0s' $(seq 150)).img"
ln -s "$D" "$LONG/$(printf 'h%.0s' $(seq 150)).img"
expect_ok "efuse through a ${#LP}-character path" $OTA efuse "$LP"
expect_out "long path sees the counter" "counter\): 2"
cp "$D.efuse" "$T/efuse.good"
sed -i 's/KEY_DIGEST="\(.*\)."/KEY_DIGEST="\1"/' "$D.efuse"   # one hex digit short
expect_fail "malformed eFuse file: boot stops" 1 "eFuse file is unreadable or malformed" $OTA boot "$D"
expect_fail "malformed eFuse file: run stops" 1 "eFuse file is unreadable or malformed" $OTA -v run "$D" --app "$PY/new.bin"
echo "CONFIG_SECURE_VERSION=banana" >"$D.efuse"
expect_fail "malformed counter: efuse stops" 1 "eFuse file is unreadable or malformed" $OTA efuse "$D"
rm -f "$D.efuse" && mkdir "$D.efuse"
expect_fail "a directory as the eFuse file: stops" 1 "eFuse file is unreadable or malformed" $OTA boot "$D"
rmdir "$D.efuse"

# ---- 5. device properties persist --------------------------------------------
$OTA flash create "$T/rb.img" --table "$T/partitions.csv" --chip esp32 --rollback >/dev/null
$OTA flash write "$T/rb.img" ota_0 "$T/www/old.bin" >/dev/null
$OTA boot "$T/rb.img" >/dev/null
$OTA -v run "$T/rb.img" --app "$PY/new.bin" --self-test skip >"$T/rb.log" 2>&1
expect_ok "made with --rollback: a later plain boot" $OTA boot "$T/rb.img"
expect_out "the trial app that never marked itself valid is rolled back" "^booted: ota_0"
fresh
$OTA -v run "$D" --app "$PY/new.bin" --rollback --self-test skip >"$T/rb2.log" 2>&1
expect_ok "run with --rollback: a later plain boot" $OTA boot "$D"
expect_out "run --rollback persists: rolled back" "^booted: ota_0"
expect_fail "a chip that contradicts the device" 1 "is an esp32 device, not esp32s3" $OTA boot "$T/rb.img" --chip esp32s3
echo "CONFIG_IDF_TARGET=\"esp99\"" >"$T/rb.img.device"
expect_fail "malformed device properties: refused" 1 "properties file" $OTA boot "$T/rb.img"

# ---- 6. files whole or not at all --------------------------------------------
mkdir "$T/adir"
mkfifo "$T/fifo"
expect_fail "image make onto a directory" 1 "directory, FIFO or device" $OTA image make "$T/adir" --project p --version v1.0.0
expect_fail "image make onto a FIFO" 1 "directory, FIFO or device" timeout 10 $OTA image make "$T/fifo" --project p --version v1.0.0
expect_fail "partition make onto /dev/full" 1 "directory, FIFO or device" $OTA partition make "$T/partitions.csv" /dev/full
expect_fail "flash create onto a FIFO" 1 "directory, FIFO or device" timeout 10 $OTA flash create "$T/fifo" --table "$T/partitions.csv"
expect_fail "flash run on a FIFO" 1 "directory, FIFO or device" timeout 10 $OTA otadata show "$T/fifo"
expect_fail "flash read to /dev/full" 1 "disk is full" $OTA flash read "$T/base.img" ota_0 /dev/full
if mkdir -p "$T/small" && mount -t tmpfs -o size=1M tmpfs "$T/small" 2>/dev/null; then
    MNT="$T/small"
    echo keep >"$MNT/dev.img"
    expect_fail "flash create on a full disk" 1 "disk is full" $OTA flash create "$MNT/dev.img" --table "$T/partitions.csv"
    if [ "$(cat "$MNT/dev.img")" = keep ] && [ "$(ls "$MNT" | wc -l)" -eq 1 ]; then pass "full disk: the old file untouched, no leftovers"; else fail "full disk: the old file untouched, no leftovers"; fi
    head -c 700000 /dev/zero >"$MNT/filler"
    echo keep >"$MNT/new.bin"
    expect_fail "image make on a full disk" 1 "disk is full" $OTA image make "$MNT/new.bin" --project p --version v1.0.0 --size 400000
    if [ "$(cat "$MNT/new.bin")" = keep ]; then pass "full disk: no half-written image"; else fail "full disk: no half-written image"; fi
    umount "$MNT" && MNT=""
else
    skip "full disk (cannot mount a small tmpfs here)"
fi

# ---- 7. the policy on every redirect hop --------------------------------------
fresh
$OTA -v run "$D" --app "$FS/nolocation/new.bin" --retries 0 >"$T/noloc.log" 2>&1
if grep -q "OTA failed: STREAM_INIT_FAIL (OTA_ERR_REDIRECT_NO_LOCATION" "$T/noloc.log"; then pass "3xx without Location: an error"; else fail "3xx without Location: an error" "$T/noloc.log"; fi
boots_old "3xx without Location: its body was not flashed"
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
    bash "$HERE/make_certs.sh" "$T/pki" >/dev/null 2>&1
    start_nginx_tls "$T/www" "$T/pki" "location = /tohttp { return 302 $PY/new.bin; }"
    fresh
    $OTA -v run "$D" --app "https://localhost:$TLS_GOOD_PORT/tohttp" --ca "$T/pki/ca.pem" --forbid-http --retries 0 >"$T/down.log" 2>&1
    if grep -q "OTA_ERR_INSECURE" "$T/down.log"; then pass "https -> http redirect refused under --forbid-http"; else fail "https -> http redirect refused under --forbid-http" "$T/down.log"; fi
    boots_old "https -> http: nothing installed"
    fresh
    $OTA -v run "$D" --app "https://localhost:$TLS_GOOD_PORT/tohttp" --ca "$T/pki/ca.pem" --retries 0 >"$T/down2.log" 2>&1
    if grep -q "redirect to http.*not authenticated" "$T/down2.log"; then pass "an http hop is logged as unauthenticated"; else fail "an http hop is logged as unauthenticated" "$T/down2.log"; fi
else
    skip "https -> http redirect (no nginx)"
fi

# ---- 8. every transfer ends ---------------------------------------------------
fresh
start=$(date +%s)
$OTA -v run "$D" --app "$FS/trickle/1/new.bin" --retries 0 >"$T/trickle.log" 2>&1
took=$(( $(date +%s) - start ))
if grep -q "OTA failed: STREAM_RD_FAIL (OTA_ERR_LOW_SPEED" "$T/trickle.log" && [ $took -lt 60 ]; then pass "1 byte/s trickle ends within a minute by default (${took} s)"; else fail "1 byte/s trickle ends within a minute by default (${took} s)" "$T/trickle.log"; fi
fresh
$OTA -v run "$D" --app "$FS/trickle/1000/new.bin" --low-speed-limit 5000 --low-speed-time 2 --retries 0 >"$T/ls.log" 2>&1
if grep -q "OTA_ERR_LOW_SPEED" "$T/ls.log"; then pass "--low-speed-limit/--low-speed-time"; else fail "--low-speed-limit/--low-speed-time" "$T/ls.log"; fi
fresh
start=$(date +%s)
$OTA -v run "$D" --app "$FS/trickle/5000/new.bin" --deadline 3 >"$T/dl.log" 2>&1
took=$(( $(date +%s) - start ))
if grep -q "OTA failed: STREAM_RD_FAIL (OTA_ERR_DEADLINE" "$T/dl.log" && [ $took -lt 10 ]; then pass "--deadline ends the item (${took} s)"; else fail "--deadline ends the item (${took} s)" "$T/dl.log"; fi
boots_old "after the deadline the old app boots"

# ---- 10. no silent truncation -------------------------------------------------
# The file sits 1.2 KB deep: any cut of its URI is a 404, not the same file.
fresh
DEEP=$(for c in p q r s t u; do printf '%s/' "$(printf "$c%.0s" $(seq 200))"; done)
mkdir -p "$T/www/$DEEP" && cp "$T/www/new.bin" "$T/www/$DEEP/new.bin"
Q="$DEEP/new.bin"
$OTA -v run "$D" --app "$PY/$Q" --retries 0 >"$T/long.log" 2>&1
if grep -q "List id: 0, OTA success" "$T/long.log"; then pass "a 1.2 KB URI is used as given"; else fail "a 1.2 KB URI is used as given" "$T/long.log"; fi
fresh
printf 'CONFIG_FIRMWARE_UPGRADE_URI="%s"\n' "$PY/$Q" >"$T/long.cfg"
expect_ok "a 1.2 KB URI in the sdkconfig is used as given" $OTA -v run "$D" --config "$T/long.cfg" --retries 0
printf 'CONFIG_FIRMWARE_UPGRADE_URI="%s"\n' "$PY/$Q$Q$Q$Q" >"$T/toolong.cfg"
expect_fail "a value over the limit is refused, naming it" 1 "values at most 4095 characters" $OTA -v run "$D" --config "$T/toolong.cfg"
expect_fail "a label over 16 characters is refused, naming the limit" 2 "at most 16" \
    $OTA -v run "$D" --data "flash_tone_with_a_long_name=$PY/x.bin"
fresh
printf 'CONFIG_FIRMWARE_UPGRADE_URL="%s"\nCONFIG_DATA_UPGRADE_URI="file://sdcard/none.bin"\n' "$PY/new.bin" >"$T/typo.cfg"
$OTA -v run "$D" --config "$T/typo.cfg" --sdcard "$T/sd" >"$T/typo.log" 2>&1
if grep -q "unknown key CONFIG_FIRMWARE_UPGRADE_URL ignored: did you mean CONFIG_FIRMWARE_UPGRADE_URI" "$T/typo.log"; then
    pass "a misspelt key is warned about"; else fail "a misspelt key is warned about" "$T/typo.log"; fi

# ---- issue 19, point 10: what runs is what booted and is still there ----------
# A device reset by copying its pristine image over it is a freshly flashed
# board: the stale running record (ota_1) must not send the next update onto
# the only app there is (ota_0).
fresh
cp "$D" "$T/pristine.img"
$OTA -v run "$D" --app "$PY/new.bin" >"$T/r10a.log" 2>&1
if grep -q "^booted: ota_1" "$T/r10a.log"; then pass "update: ota_1 runs"; else fail "update: ota_1 runs" "$T/r10a.log"; fi
cp "$T/pristine.img" "$D"
$OTA -v run "$D" --app "$PY/new.bin" --power-cut-at 5 >"$T/r10b.log" 2>&1
if grep -q "freshly flashed" "$T/r10b.log"; then pass "pristine image copied over: the device boots first"; else fail "pristine image copied over: the device boots first" "$T/r10b.log"; fi
boots_old "pristine image copied over, update cut: the pristine app still boots"
# The same when the running slot is erased or rewritten in place.
fresh
$OTA -v run "$D" --app "$PY/new.bin" >/dev/null 2>&1
$OTA flash erase "$D" ota_1 >/dev/null
$OTA -v run "$D" --app "$PY/new.bin" --power-cut-at 5 >"$T/r10c.log" 2>&1
boots_old "running slot erased, update cut: ota_0 still boots"
fresh
$OTA -v run "$D" --app "$PY/new.bin" >/dev/null 2>&1
$OTA image make "$T/other.bin" --project other --version v9.0.0 --size 100000 >/dev/null
$OTA flash write "$D" ota_1 "$T/other.bin" >/dev/null
$OTA -v run "$D" --app "$PY/new.bin" --no-reboot >"$T/r10d.log" 2>&1
if grep -q "freshly flashed" "$T/r10d.log" && grep -q "Project name: *other" "$T/r10d.log"; then
    pass "another image written into the running slot: it is what boots and runs"; else fail "another image written into the running slot: it is what boots and runs" "$T/r10d.log"; fi
fresh
printf 'running_app_offset=0x%s\n' zz >"$D.running"
expect_ok "a malformed running record: the device boots first" $OTA -v run "$D" --app "$PY/new.bin" --no-reboot
expect_log "and says why" "running record.*freshly flashed|freshly flashed.*running record"
rm -f "$D.running" && mkdir "$D.running"
expect_fail "a directory as the running record: boot stops" 1 "running-app record cannot be read or removed" $OTA boot "$D"
expect_fail "a directory as the running record: run stops" 1 "running-app record cannot be read or removed" \
    $OTA -v run "$D" --app "$PY/new.bin"
rmdir "$D.running"
# A running record that cannot be written after a successful switch: the
# command says so, and the next command still finds the truth.
if mkdir -p "$T/full" && mount -t tmpfs -o size=4300k tmpfs "$T/full" 2>/dev/null; then
    MNT="$T/full"
    $OTA flash create "$MNT/dev.img" --table "$T/partitions.csv" >/dev/null
    $OTA flash write "$MNT/dev.img" ota_0 "$T/www/old.bin" >/dev/null
    $OTA boot "$MNT/dev.img" >/dev/null
    ln "$MNT/dev.img.running" "$MNT/held"   # removing the record frees no space
    dd if=/dev/zero of="$MNT/filler" bs=4k >/dev/null 2>&1
    $OTA -v run "$MNT/dev.img" --app "$PY/new.bin" >"$T/r10e.log" 2>&1
    if grep -q "^booted: ota_1" "$T/r10e.log" && grep -q "cannot record the running app.*disk is full" "$T/r10e.log"; then
        pass "full disk after the switch: the run says the record was not written"; else fail "full disk after the switch: the run says the record was not written" "$T/r10e.log"; fi
    rm -f "$MNT/filler"
    $OTA -v run "$MNT/dev.img" --app "$PY/new.bin" --power-cut-at 5 >"$T/r10f.log" 2>&1
    if $OTA boot "$MNT/dev.img" 2>&1 | grep -q "^booted: ota_1"; then pass "the next update found the truth: the switched-to app still boots"
    else fail "the next update found the truth: the switched-to app still boots" "$T/r10f.log"; fi
    umount "$MNT" && MNT=""
else
    skip "running record on a full disk (cannot mount a small tmpfs here)"
fi

# ---- issue 19, point 12: chips as they are sold -------------------------------
# ESP-IDF v6.0's default ESP32-C3 app: min chip revision v0.3, max v1.99.
$OTA image make "$T/c3.bin" --chip esp32c3 --project c3app --version v1.0.0 --size 100000 >/dev/null
python3 - "$T/c3.bin" <<'PY'
import hashlib, sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[14] = 3                                    # legacy min revision
d[15:17] = (3).to_bytes(2, 'little')         # min v0.3
d[17:19] = (199).to_bytes(2, 'little')       # max v1.99
if d[23] == 1:                               # the appended SHA-256 covers the header
    d[-32:] = hashlib.sha256(bytes(d[:-32])).digest()
open(sys.argv[1], 'wb').write(d)
PY
$OTA flash create "$T/c3.img" --table "$T/partitions.csv" --chip esp32c3 >/dev/null
$OTA flash write "$T/c3.img" ota_0 "$T/c3.bin" >/dev/null
expect_ok "ESP-IDF's default ESP32-C3 app (v0.3..v1.99) boots on an emulated ESP32-C3" $OTA boot "$T/c3.img"
expect_out "it booted" "^booted: ota_0"
expect_ok "and verifies for it" $OTA image verify "$T/c3.img" --label ota_0 --chip esp32c3
$OTA flash create "$T/c3b.img" --table "$T/partitions.csv" --chip esp32c3 >/dev/null
$OTA flash write "$T/c3b.img" ota_0 "$T/c3.bin" >/dev/null
expect_fail "a chip revision below the image's minimum: nothing boots" 1 "no app boots" \
    $OTA boot "$T/c3b.img" --chip-revision v0.2
expect_log "naming the revision" "chip revision"
expect_fail "the revision belongs to the device once recorded" 1 "revision v0.2" $OTA boot "$T/c3b.img" --chip-revision v2.0
expect_fail "a malformed revision is bad usage" 2 "chip-revision" $OTA boot "$T/c3.img" --chip-revision 0.x
$OTA flash create "$T/c3c.img" --table "$T/partitions.csv" --chip esp32c3 --chip-revision v2.0 >/dev/null
$OTA flash write "$T/c3c.img" ota_0 "$T/c3.bin" >/dev/null
expect_fail "a revision above the image's maximum (made with flash create): nothing boots" 1 "no app boots" $OTA boot "$T/c3c.img"
$OTA flash create "$T/c3d.img" --table "$T/partitions.csv" --chip esp32c3 >/dev/null
$OTA image make "$T/c3old.bin" --chip esp32c3 --project c3old --version v0.9.0 --size 100000 >/dev/null
$OTA flash write "$T/c3d.img" ota_0 "$T/c3old.bin" >/dev/null
$OTA -v run "$T/c3d.img" --app "file://sdcard/c3.bin" --sdcard "$T" >"$T/c3run.log" 2>&1
if grep -q "Project name: *c3app" "$T/c3run.log" || grep -q "OTA_ERR_IMG_CHIP_REV" "$T/c3run.log"; then
    if grep -q "OTA_ERR_IMG_CHIP_REV" "$T/c3run.log"; then fail "run: the C3 app is accepted by the default ESP32-C3" "$T/c3run.log"; else pass "run: the C3 app is accepted by the default ESP32-C3"; fi
else
    fail "run: the C3 app is accepted by the default ESP32-C3" "$T/c3run.log"
fi

finish
