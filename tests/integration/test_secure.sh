#!/usr/bin/env bash
# Secure Boot V2 and anti-rollback on an emulated device (eFuses in IMG.efuse):
# signed apps only, refused before activation otherwise; the bootloader
# refuses unsigned or badly signed apps and falls back; the secure-version
# counter refuses older apps and rises when a new one is marked valid.
# Usage: test_secure.sh OTA KEYDIR
set -u
OTA=$1
K=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/sd"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
mk() {  # NAME VERSION SECURE_VERSION [KEY]
    $OTA image make "$T/$1.bin" --project "$1" --version "$2" --secure-version "$3" --size 150000 >/dev/null
    if [ -n "${4:-}" ]; then
        $OTA image sign "$T/$1.bin" "$T/sd/$1.bin" --key "$K/$4" >/dev/null
    else
        cp "$T/$1.bin" "$T/sd/$1.bin"
    fi
}
mk old v1.0.0 1 test_rsa3072.pem
mk new v2.0.0 2 test_rsa3072.pem
mk unsigned v2.0.0 2
mk wrongkey v2.0.0 2 test_rsa3072_other.pem
mk rollback v0.9.0 0 test_rsa3072.pem
mk future v3.0.0 5 test_rsa3072.pem
python3 - "$T/sd/new.bin" "$T/sd" <<'PY'
import sys, zlib
data = bytearray(open(sys.argv[1], 'rb').read())
sector = (150000 + 4095) // 4096 * 4096
def save(name, d): open(sys.argv[2] + '/' + name, 'wb').write(d)
d = bytearray(data); d[sector + 900] ^= 1; save('badsig_crc.bin', d)          # signature byte, CRC left: block CRC
d = bytearray(data); d[sector + 900] ^= 1
d[sector + 1196:sector + 1200] = zlib.crc32(bytes(d[sector:sector + 1196])).to_bytes(4, 'little')
save('badsig.bin', d)                                                          # signature byte, CRC fixed: RSA-PSS
d = bytearray(data); d[sector + 10] ^= 1
d[sector + 1196:sector + 1200] = zlib.crc32(bytes(d[sector:sector + 1196])).to_bytes(4, 'little')
save('baddigest.bin', d)                                                       # digest byte, CRC fixed
d = bytearray(data); d[sector + 1197] ^= 1; save('badcrc.bin', d)              # the CRC itself
d = bytearray(data); d[149000] ^= 1; save('badimage.bin', d)                   # the image
PY

$OTA flash create "$T/base.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/sd/old.bin" >/dev/null
expect_ok "burn the key digest (eFuse)" $OTA efuse "$T/base.img" --burn-key "$K/test_rsa3072_pub.pem"
expect_out "secure boot on" "secure boot v2: enabled"
expect_fail "the key digest is write-once" 1 "already burned" $OTA efuse "$T/base.img" --burn-key "$K/test_p256_pub.pem"
expect_ok "first boot of the signed old app" $OTA boot "$T/base.img"
expect_log "its signature is checked" "verified RSA-PSS signature"
expect_ok "efuse after boot" $OTA efuse "$T/base.img"
expect_out "counter raised to the running app's secure_version" "anti-rollback counter\): 1"
D="$T/dev.img"
fresh() { copy_device "$T/base.img" "$D"; }

sec_ok() {  # NAME ARGS
    local name=$1; shift
    fresh
    if $OTA -v run "$D" --sdcard "$T/sd" "$@" >"$T/run.log" 2>&1; then pass "$name"; else fail "$name" "$T/run.log"; fi
}
sec_fails() {  # NAME ERRNAME ARGS: refused before activation, old app still boots
    local name=$1 errname=$2; shift 2
    fresh
    $OTA -v run "$D" --sdcard "$T/sd" "$@" >"$T/run.log" 2>&1
    local rc=$?
    if [ $rc -ne 1 ] || ! grep -q "($errname" "$T/run.log" || grep -q "restart!" "$T/run.log"; then
        fail "$name: wanted $errname, no restart (exit $rc)" "$T/run.log"; return
    fi
    if ! $OTA otadata show "$D" | grep -q "slot 0"; then fail "$name: otadata changed" "$T/run.log"; return; fi
    if ! $OTA boot "$D" 2>&1 | grep -q "Project name: *old"; then fail "$name: the old app does not boot"; return; fi
    pass "$name"
}

sec_ok "signed app (RSA) is accepted" --app file://sdcard/new.bin --rollback --self-test pass
grep -q "signature verified (RSA-3072-PSS, trusted key)" "$T/run.log" && pass "verified before activation" \
    || fail "verified before activation" "$T/run.log"
grep -q "Project name: *new" "$T/run.log" && pass "the new app boots" || fail "the new app boots" "$T/run.log"
expect_ok "efuse after the update" $OTA efuse "$D"
expect_out "counter rose to the new app's secure_version (2)" "anti-rollback counter\): 2"
sec_fails "unsigned app" OTA_ERR_SIG_MISSING --app file://sdcard/unsigned.bin
sec_fails "signed with another key" OTA_ERR_SIG_UNTRUSTED_KEY --app file://sdcard/wrongkey.bin
sec_fails "one flipped byte in the signature" OTA_ERR_SIG_BLOCK --app file://sdcard/badsig_crc.bin
sec_fails "flipped signature byte, CRC recomputed" OTA_ERR_SIG_INVALID --app file://sdcard/badsig.bin
sec_fails "flipped digest byte, CRC recomputed" OTA_ERR_SIG_DIGEST --app file://sdcard/baddigest.bin
sec_fails "flipped CRC byte" OTA_ERR_SIG_BLOCK --app file://sdcard/badcrc.bin
sec_fails "flipped image byte" OTA_ERR_IMG_CHECKSUM --app file://sdcard/badimage.bin
sec_fails "anti-rollback: secure_version 0 below the counter 1" OTA_ERR_SECURE_VERSION --app file://sdcard/rollback.bin

# The bootloader in secure mode: an unsigned app put in place by hand does not boot.
fresh
$OTA flash write "$D" ota_1 "$T/sd/unsigned.bin" >/dev/null
$OTA otadata select "$D" ota_1 >/dev/null
expect_ok "bootloader with an unsigned app selected" $OTA boot "$D"
expect_log "falls back to the signed old app" "Project name: +old"
expect_out "and says so" "fallback"
# ... and skips an app below the anti-rollback counter.
fresh
$OTA efuse "$D" --burn-secure-version 3 >/dev/null
$OTA flash write "$D" ota_1 "$T/sd/future.bin" >/dev/null
$OTA otadata select "$D" ota_1 >/dev/null
expect_ok "boot with the counter at 3: ota_1 (secure_version 5) boots" $OTA boot "$D"
expect_log "future app" "Project name: +future"
expect_ok "efuse: the counter rose to 5" $OTA efuse "$D"
expect_out "counter 5" "anti-rollback counter\): 5"
$OTA otadata select "$D" ota_0 >/dev/null
expect_ok "ota_0 selected again: its app is below the counter" $OTA boot "$D"
expect_log "the bootloader skips it" "secure_version 1 is below the anti-rollback counter 5"
expect_log "and falls back to ota_1" "Project name: +future"
$OTA flash erase "$D" ota_1 >/dev/null
expect_fail "with ota_1 erased nothing bootable is left" 1 "no app boots" $OTA boot "$D"

# ---- Secure Boot V2 per chip (ESP-IDF v6.0 soc_caps.h, the ROM's SECURE_BOOT_NUM_BLOCKS) ----
# ESP32, -S2, -S3, -C3 take RSA-3072 only; an ESP32 reads only the first block.
for chip in esp32 esp32s2 esp32s3 esp32c3; do
    $OTA image make "$T/$chip.bin" --project sb --version v1 --size 100000 --chip $chip >/dev/null
    expect_fail "image sign: no ECDSA for an $chip image" 1 \
        "is an ESP32(-[A-Z0-9]+)? image: its Secure Boot V2 takes RSA-3072 signatures only, .* is an ECDSA key; not signed" \
        $OTA image sign "$T/$chip.bin" "$T/$chip-ec.bin" --key "$K/test_p256.pem"
    [ -e "$T/$chip-ec.bin" ] && fail "a refused sign wrote its output ($chip)"
    expect_ok "image sign: RSA-3072 for an $chip image" $OTA image sign "$T/$chip.bin" "$T/$chip-rsa.bin" \
        --key "$K/test_rsa3072.pem"
done
V="$HERE/../../../shared/vectors/signed"
if [ -f "$V/blink_p256_signed.bin" ]; then
    # espsecure's ECDSA-signed ESP32-S2 app: its ROM would not take it.
    $OTA flash create "$T/s2.img" --table "$T/partitions.csv" --chip esp32s2 >/dev/null
    $OTA flash write "$T/s2.img" ota_0 "$V/blink_p256_signed.bin" >/dev/null
    $OTA efuse "$T/s2.img" --burn-key "$V/p256_pub.pem" >/dev/null
    expect_fail "ESP32-S2: an ECDSA-signed app does not boot" 1 "no app boots" $OTA boot "$T/s2.img"
    expect_log "the log names the chip and the scheme" \
        "ESP32-S2 Secure Boot V2 takes RSA-3072 signatures only: this block is ECDSA"
    $OTA flash create "$T/s2r.img" --table "$T/partitions.csv" --chip esp32s2 >/dev/null
    $OTA flash write "$T/s2r.img" ota_0 "$V/blink_rsa3072_signed.bin" >/dev/null
    $OTA efuse "$T/s2r.img" --burn-key "$V/rsa3072_pub.pem" >/dev/null
    expect_ok "ESP32-S2: the RSA-3072-signed vector boots" $OTA boot "$T/s2r.img"
    expect_log "its block verified" "verified RSA-PSS signature"
else
    skip "ECDSA vector on an ESP32-S2 (no ../shared/vectors)"
fi
# Two blocks: block 0 by a key the eFuse does not hold, block 1 by the burned key.
two_blocks() {  # CHIP
    $OTA image make "$T/two-$1.bin" --project two --version v1 --size 100000 --chip "$1" >/dev/null
    $OTA image sign "$T/two-$1.bin" "$T/two-$1-a.bin" --key "$K/test_rsa3072_other.pem" >/dev/null
    $OTA image sign "$T/two-$1.bin" "$T/two-$1-b.bin" --key "$K/test_rsa3072.pem" >/dev/null
    python3 - "$T/two-$1-a.bin" "$T/two-$1-b.bin" "$T/two-$1-ab.bin" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read(); b = open(sys.argv[2], 'rb').read()
sector = len(a) - 4096
out = a[:sector] + a[sector:sector + 1216] + b[sector:sector + 1216]
open(sys.argv[3], 'wb').write(out + b'\xff' * (len(a) - len(out)))
PY
    $OTA flash create "$T/two-$1.img" --table "$T/partitions.csv" --chip "$1" >/dev/null
    $OTA flash write "$T/two-$1.img" ota_0 "$T/two-$1-ab.bin" >/dev/null
    $OTA efuse "$T/two-$1.img" --burn-key "$K/test_rsa3072_pub.pem" >/dev/null
}
two_blocks esp32
expect_fail "ESP32: only the first signature block counts" 1 "no app boots" $OTA boot "$T/two-esp32.img"
expect_log "block 0's key is refused" "not the trusted key"
two_blocks esp32s3
expect_ok "ESP32-S3: the second block's trusted key is taken" $OTA boot "$T/two-esp32s3.img"
expect_log "its block verified" "verified RSA-PSS signature"
# ---- eFuses are write-once, as on a chip (issue 19, point 3) -------------------
# With a key burned, losing the eFuse record is an error, never "secure boot off".
fresh
rm -f "$D.efuse"
expect_fail "key burned, eFuse record deleted: boot stops" 1 "eFuses were burned" $OTA boot "$D"
expect_fail "key burned, eFuse record deleted: run stops" 1 "eFuses were burned" \
    $OTA -v run "$D" --sdcard "$T/sd" --app file://sdcard/unsigned.bin
expect_fail "key burned, eFuse record deleted: efuse stops" 1 "eFuses were burned" $OTA efuse "$D"
expect_fail "key burned, record deleted: a second key is refused" 1 "eFuses were burned" \
    $OTA efuse "$D" --burn-key "$K/test_p256_pub.pem"
fresh
: >"$D.efuse"
expect_fail "key burned, eFuse record emptied: boot stops" 1 "eFuses were burned" $OTA boot "$D"
fresh
sed -i '/KEY_DIGEST/d' "$D.efuse"
expect_fail "key burned, digest line removed: boot stops" 1 "eFuses were burned" $OTA boot "$D"
fresh
echo "garbage" >"$D.efuse"
expect_fail "key burned, eFuse record malformed: boot stops" 1 "eFuse file is unreadable or malformed" $OTA boot "$D"
fresh
expect_fail "a second, different key is refused" 1 "already burned" $OTA efuse "$D" --burn-key "$K/test_p256_pub.pem"
expect_ok "the same key again changes nothing" $OTA efuse "$D" --burn-key "$K/test_rsa3072_pub.pem"
# The counter only rises: a lower value is refused, and a record edited down is an error.
fresh
expect_ok "burn the counter to 4" $OTA efuse "$D" --burn-secure-version 4
expect_fail "a lower counter is refused" 1 "only rises" $OTA efuse "$D" --burn-secure-version 2
expect_ok "the same counter again changes nothing" $OTA efuse "$D" --burn-secure-version 4
expect_out "still 4" "anti-rollback counter\): 4"
sed -i 's/SECURE_VERSION=4/SECURE_VERSION=1/' "$D.efuse"
expect_fail "a counter edited down in the record: boot stops" 1 "eFuses were burned" $OTA boot "$D"
# Without a key: a device whose counter was burned also knows it.
$OTA flash create "$T/nokey.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/nokey.img" ota_0 "$T/old.bin" >/dev/null
expect_ok "a device with nothing burned boots" $OTA boot "$T/nokey.img"
$OTA efuse "$T/nokey.img" --burn-secure-version 3 >/dev/null
rm -f "$T/nokey.img.efuse"
expect_fail "counter burned, record deleted: boot stops" 1 "eFuses were burned" $OTA boot "$T/nokey.img"
finish
