#!/usr/bin/env bash
# Every message names the real cause and what to do: a missing device
# image, a key that is missing, unreadable or only public, --chip any where
# it cannot apply, a CSV or binary table in the wrong place (never raw
# bytes), a directory where a file is expected, the cause on the last line
# of a failed run, no "OTA success" for a release held back, no internal
# names. Usage: test_messages.sh OTA KEYDIR
set -u
OTA=$1
K=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
. "$HERE/lib.sh"
. "$HERE/../integration/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

CSV=$HERE/../../examples/ota_example/partitions.csv
$OTA image make "$T/app.bin" --project lamp --version v1.0.0 --size 200000 >/dev/null
$OTA flash create "$T/dev.img" --table "$CSV" >/dev/null
$OTA flash write "$T/dev.img" ota_0 "$T/app.bin" >/dev/null
$OTA boot "$T/dev.img" >/dev/null 2>&1
mkdir "$T/dir.img" "$T/dir.pem"

# no_raw_bytes NAME: the last command's stderr is printable text only
no_raw_bytes() {
    if LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/err"; then fail "$1" "$T/err"; else pass "$1"; fi
}

# --- a device image that does not exist, or is a directory --------------------
for cmd in "boot" "efuse" "otadata show" "partition show" "flash read NOPE ota_0 $T/x" \
    "flash write NOPE ota_0 $T/app.bin" "flash erase NOPE ota_0"; do
    set -- $cmd
    if [ $# -eq 1 ]; then set -- $cmd NOPE; elif [ "$2" = show ]; then set -- $cmd NOPE; fi
    args=("${@//NOPE/$T/none.img}")
    if [ "$1" = partition ]; then
        expect_fail "$cmd on a missing file: its name and the cause" 1 "none.img: No such file" $OTA "${args[@]}"
    else
        expect_fail "$cmd: no such device image" 1 "none.img: no such device image" $OTA "${args[@]}"
    fi
done
expect_fail "run: no such device image" 1 "none.img: no such device image" \
    $OTA run "$T/none.img" --app http://127.0.0.1:9/app.bin
[ ! -e "$T/none.img.device" ] && pass "  no side file made for it" || fail "  no side file made for it"
expect_fail "boot on a directory: is a directory" 1 "dir.img: is a directory" $OTA boot "$T/dir.img"
expect_fail "flash read on a directory: is a directory" 1 "dir.img: is a directory" \
    $OTA flash read "$T/dir.img" ota_0 "$T/x"
expect_fail "image info on a directory: is a directory" 1 "dir.img: is a directory" $OTA image info "$T/dir.img"

# --- keys: missing, a directory, a public key where a private one is needed ----
expect_fail "sign with a missing key: says so" 1 "cannot read key .*nokey.pem: No such file" \
    $OTA image sign "$T/app.bin" "$T/s.bin" --key "$T/nokey.pem"
expect_fail "sign with a directory: is a directory" 1 "dir.pem: is a directory" \
    $OTA image sign "$T/app.bin" "$T/s.bin" --key "$T/dir.pem"
expect_fail "sign with a public key: needs the private key" 1 "is a public key: signing needs the private key" \
    $OTA image sign "$T/app.bin" "$T/s.bin" --key "$K/test_rsa3072_pub.pem"
[ ! -e "$T/s.bin" ] && pass "  nothing written" || fail "  nothing written"
expect_fail "release with a public key: needs the private key" 1 "is a public key" \
    $OTA release "$T/rel" --image "$T/app.bin" --key "$K/test_p256_pub.pem"
expect_fail "efuse --burn-key missing: says so" 1 "cannot read key .*nokey.pem" \
    $OTA efuse "$T/dev.img" --burn-key "$T/nokey.pem"
expect_fail "verify-signature --pub missing: says so" 1 "cannot read key .*nokey.pem" \
    $OTA image verify-signature "$T/app.bin" --pub "$T/nokey.pem"
if grep -rq "cannot sign" "$T/err"; then fail "  never 'a key that cannot sign' for a missing file"; else pass "  never 'a key that cannot sign' for a missing file"; fi

# --- --chip any where it cannot apply; the chips offered are the ones taken ----
expect_fail "flash create --chip any: a message" 2 "--chip any does not apply here" \
    $OTA flash create "$T/any.img" --table "$CSV" --chip any
expect_fail "image make --chip any: a message" 2 "--chip any does not apply here" \
    $OTA image make "$T/any.bin" --project p --version v1 --chip any
expect_fail "image make --chip foo: lists the chips, not 'any'" 2 "unknown chip 'foo' \(esp32, esp32s2, esp32c3, esp32s3\)$" \
    $OTA image make "$T/any.bin" --project p --version v1 --chip foo
expect_fail "boot --chip foo: lists 'any' too" 2 "unknown chip 'foo' \(.*, any\)" $OTA boot "$T/dev.img" --chip foo

# --- partition tables: a CSV shown, a binary where a CSV is expected -----------
expect_ok "partition show CSV: shown" $OTA partition show "$CSV"
expect_out "  as a table" "ota_0 +OTA app"
expect_ok "partition show CSV --csv" $OTA partition show "$CSV" --csv
expect_out "  round-trips as CSV" "^ota_1,app,ota_1,"
$OTA partition make "$CSV" "$T/t.bin" >/dev/null
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(b'\xff'*32+d[:-32])" \
    "$T/t.bin" "$T/shifted.bin"
expect_fail "a binary table where a CSV is expected: says so" 1 "looks like a binary partition table" \
    $OTA flash create "$T/x.img" --table "$T/shifted.bin"
no_raw_bytes "  no raw bytes on the terminal"
expect_fail "a device image as a table: says so" 1 "looks like a device image" \
    $OTA partition make "$T/dev.img" "$T/t2.bin"
expect_fail "an app image as a table: a binary file" 1 "app.bin: is a binary file, not a partition table CSV" \
    $OTA partition make "$T/app.bin" "$T/t2.bin"
no_raw_bytes "  no raw bytes on the terminal"

# --- flash write: esptool's offset form; warnings for an app slot -------------
copy_device "$T/dev.img" "$T/w.img"
expect_ok "flash write IMG 0x110000 FILE (esptool's form)" $OTA flash write "$T/w.img" 0x110000 "$T/app.bin"
expect_out "  lands in ota_1" "to 'ota_1' at 0x110000"
$OTA flash read "$T/w.img" ota_1 "$T/back.bin" >/dev/null
cmp -n "$(stat -c %s "$T/app.bin")" "$T/app.bin" "$T/back.bin" && pass "  the same bytes as the label form" \
    || fail "  the same bytes as the label form"
printf 'raw' >"$T/raw.bin"
expect_ok "flash write at an offset inside no partition start" $OTA flash write "$T/w.img" 0x3f0000 "$T/raw.bin"
expect_out "  written at 0x3f0000" "at 0x3f0000"
expect_fail "flash write at an unaligned offset: refused" 1 "offset 0x1234: give a multiple of 0x1000" \
    $OTA flash write "$T/w.img" 0x1234 "$T/raw.bin"
expect_fail "flash write past the end of the flash: refused" 1 "fit in the 4194304-byte flash" \
    $OTA flash write "$T/w.img" 0x400000 "$T/raw.bin"
expect_ok "flash write of a non-app into an app slot: done" $OTA flash write "$T/w.img" ota_1 "$T/raw.bin"
expect_log "  with a warning" "warning: .*raw.bin is not an app image .*will not boot 'ota_1'"
expect_ok "flash write into the running slot: done" $OTA flash write "$T/w.img" ota_0 "$T/app.bin"
expect_log "  with a warning" "warning: 'ota_0' is the slot the device runs from"
expect_ok "flash write of an app into the other slot: done" $OTA flash write "$T/w.img" ota_1 "$T/app.bin"
if grep -q warning "$T/err"; then fail "  no warning" "$T/err"; else pass "  no warning"; fi
expect_ok "flash write of data into a data partition: done" $OTA flash write "$T/w.img" nvs "$T/raw.bin"
if grep -q warning "$T/err"; then fail "  no warning" "$T/err"; else pass "  no warning"; fi
chmod 000 "$T/w.img" 2>/dev/null
if [ "$(id -u)" != 0 ]; then
    expect_fail "an unreadable device image: the system's reason" 1 "Permission denied" $OTA flash write "$T/w.img" nvs "$T/raw.bin"
fi
chmod 644 "$T/w.img"

# --- no temporary file names in messages ----------------------------------------
mkdir -p "$T/rel2/manifest.json.sig"
expect_fail "release where manifest.json.sig is a directory: refused" 1 "cannot write .*rel2/manifest.json.sig: .*directory" \
    $OTA release "$T/rel2" --image "$T/app.bin" --key "$K/test_p256.pem"
if grep -Eq "\.tmp|\.new-" "$T/err"; then fail "  no temporary file name" "$T/err"; else pass "  no temporary file name"; fi

# --- ota run: a few lines by default, the device's log with -v, none with -q ---
mkdir -p "$T/www"
$OTA image make "$T/www/v2.bin" --project lamp --version v2.0.0 --size 200000 >/dev/null
start_python_server "$T/www"
URL=http://127.0.0.1:$PY_PORT
fresh() { copy_device "$T/dev.img" "$T/run.img"; }
fresh
expect_ok "run, default: succeeds" $OTA run "$T/run.img" --app "$URL/v2.bin"
expect_log "  each item: what, from where, the result" "^app from $URL/v2.bin: written to ota_1 \(195.3 KiB received\)$"
expect_log "  which app boots after the restart" "^restarted: ota_1 boots lamp v2.0.0$"
for word in HTTPS_OTA_EXAMPLE esp_https_ota OTA_SERVICE PERIPH_WIFI "no SD card" "Partition Table" "segment 0" \
    "FLASH:" "MEM:" "progress:" "OTA success"; do
    if grep -q -- "$word" "$T/err"; then fail "  no '$word' by default" "$T/err"; else pass "  no '$word' by default"; fi
done
[ "$(grep -vc "plain http" "$T/err")" -le 3 ] && pass "  a few lines" || fail "  a few lines" "$T/err"
fresh
expect_ok "run -q: succeeds" $OTA -q run "$T/run.img" --app "$URL/v2.bin"
[ -z "$(grep -v "plain http, the transfer is not authenticated" "$T/err")" ] && pass "  nothing but the warning that applies" \
    || fail "  nothing but the warning that applies" "$T/err"
fresh
expect_ok "run -v: succeeds" $OTA -v run "$T/run.img" --app "$URL/v2.bin"
for line in "HTTPS_OTA_EXAMPLE: \[2.2\] Start OTA service" "OTA_SERVICE: OTA_END!" "boot: Partition Table" \
    "esp_image: segment 0" "FLASH: " "MEM: " "progress: 195.3 KiB of 195.3 KiB \(100%\)"; do
    expect_log "  -v: the device's log ($line)" "$line"
done
fresh
expect_fail "run, a 404: the last line carries the cause" 1 "^ota: app item failed: HTTP 404 from $URL/none.bin$" \
    $OTA run "$T/run.img" --app "$URL/none.bin"
[ "$(tail -n 1 "$T/err")" = "ota: app item failed: HTTP 404 from $URL/none.bin" ] && pass "  on the last line" \
    || fail "  on the last line" "$T/err"
expect_fail "run, a file:// item without a card: the warning applies" 1 "no SD card" \
    $OTA run "$T/run.img" --data flash_tone=file://sdcard/tone.bin

# --- a release held back by its rollout is not an OTA success -------------------
$OTA release "$T/www/rel" --key "$K/test_p256.pem" --image "$T/www/v2.bin" --rollout 0 >/dev/null 2>&1
fresh
expect_fail "rollout 0%: held back (exit 4)" 4 "nothing installed: held back" \
    $OTA -v run "$T/run.img" --manifest "$URL/rel/manifest.json" --manifest-pub "$K/test_p256_pub.pem"
if grep -q "OTA success" "$T/err"; then fail "  never 'OTA success'" "$T/err"; else pass "  never 'OTA success'"; fi
expect_fail "rollout 0%, default output: says held back" 4 "^app from .*/rel/manifest\.json: nothing installed: held back \(rollout\)$" \
    $OTA run "$T/run.img" --manifest "$URL/rel/manifest.json" --manifest-pub "$K/test_p256_pub.pem"

finish
