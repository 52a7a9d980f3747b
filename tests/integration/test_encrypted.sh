#!/usr/bin/env bash
# `ota run --app URI --decrypt-key FILE` given an encrypted app image
# (esp_encrypted_img's format), served by nginx:
#  - images made by `ota image encrypt` (RSA-3072 and ECC-256, also a device
#    that keeps only the 32-byte HMAC key): installed byte for byte, boot;
#    the key also comes from CONFIG_OTA_DECRYPT_KEY;
#  - refusals, each with its own error, the old app still booting and
#    otadata untouched: no key, another device's RSA key (before any
#    write), another device's P-256 key and any flipped ciphertext or tag
#    byte (GCM tag, before the switch), a cut-short file (before any write),
#    a broken header magic, a key file that is no key;
#  - a power cut in the middle: the next run starts from byte 0 and installs;
#  - with ../shared/vectors: the three images made by Espressif's own tool
#    install byte for byte and boot.
# Usage: test_encrypted.sh OTA DATA_DIR [VECTORS_DIR]
set -u
OTA=$1
DATA=$2
VEC=${3:-}
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

mkdir -p "$T/www"
printf '%s\n' "nvs, data, nvs, , 0x4000" "otadata, data, ota, , 0x2000" "phy_init, data, phy, , 0x1000" \
    "ota_0, app, ota_0, , 3M" "ota_1, app, ota_1, , 3M" >"$T/table.csv"
D="$T/dev.img"

# device_running FILE [CHIP]: a fresh device whose running app (ota_0) is FILE
device_running() {
    rm -f "$D" "$D".*
    $OTA flash create "$D" --table "$T/table.csv" --size 8MB --chip "${2:-esp32}" >/dev/null &&
        $OTA flash write "$D" ota_0 "$1" >/dev/null && $OTA boot "$D" >/dev/null 2>&1
}

# installed NAME FILE: ota_1 holds FILE byte for byte and the bootloader boots it
installed() {
    $OTA flash read "$D" ota_1 "$T/slot.bin" >/dev/null 2>&1
    if cmp -s -n "$(stat -c %s "$2")" "$T/slot.bin" "$2"; then pass "$1: byte for byte in ota_1"
    else fail "$1: ota_1 differs from the plain image"; fi
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x310000"; then pass "$1: the new app boots"
    else fail "$1: the new app does not boot"; fi
}

# refused NAME ERR [nowrite]: the last run failed with ERR, otadata is as it
# was, the old app boots; nowrite: not one flash write either
refused() {
    expect_log "$1: $2" "$2"
    if [ "${3:-}" = nowrite ]; then
        expect_log "$1: before any flash write" "FLASH: 0 sector erases, 0 block erases .* 0 page programs"
    fi
    $OTA flash read "$D" otadata "$T/od.after" >/dev/null 2>&1
    if cmp -s "$T/od.before" "$T/od.after"; then pass "$1: otadata untouched"; else fail "$1: otadata changed"; fi
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x10000"; then pass "$1: the old app boots"
    else fail "$1: the old app does not boot"; fi
}

# flip IN OUT OFFSET: a copy of IN with the byte at OFFSET inverted
flip() {
    cp "$1" "$2" && flip_byte "$2" "$3"
}

# ---- keys and images --------------------------------------------------------
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/new.bin" --project ota_example --version v2.0.0 --size 230001 >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other_p256.pem" 2>/dev/null
# a device that keeps only an HMAC key: its P-256 key is derived as esp_encrypted_img does
head -c 32 /dev/urandom >"$T/hmac.bin"
python3 - "$T/hmac.bin" "$T/hmac_pub.pem" <<'PY'
import hashlib, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
salt = bytes.fromhex("0e2160642dae76d33448e43d7720123d9f3b1eceb88e573a4e8f7fb94ff0c869")
d = int.from_bytes(hashlib.pbkdf2_hmac("sha256", open(sys.argv[1], "rb").read(), salt, 2048, 32), "big")
pub = ec.derive_private_key(d, ec.SECP256R1()).public_key()
open(sys.argv[2], "wb").write(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
PY
expect_ok "image encrypt (RSA-3072)" $OTA image encrypt "$T/new.bin" "$T/www/new.rsa.enc" --pub "$DATA/test_rsa3072_pub.pem"
expect_out "  ... says the scheme" "esp_encrypted_img, RSA-3072"
expect_ok "image encrypt (ECC-256)" $OTA image encrypt "$T/new.bin" "$T/www/new.ecc.enc" --pub "$DATA/test_p256_pub.pem" \
    --scheme ecc256
expect_ok "image encrypt (ECC-256, HMAC-derived key)" $OTA image encrypt "$T/new.bin" "$T/www/new.hmac.enc" \
    --pub "$T/hmac_pub.pem"
expect_fail "image encrypt: --scheme that does not fit the key" 2 "does not fit" \
    $OTA image encrypt "$T/new.bin" "$T/x.enc" --pub "$DATA/test_p256_pub.pem" --scheme rsa3072
expect_fail "image encrypt: a private key is no public key" 1 "OTA_ERR_DECRYPT_KEY_FILE|key file" \
    $OTA image encrypt "$T/new.bin" "$T/x.enc" --pub "$T/hmac.bin"
if [ "$(stat -c %s "$T/www/new.rsa.enc")" -eq $(($(stat -c %s "$T/new.bin") + 512)) ]; then pass "a 512-byte header, then the ciphertext"
else fail "encrypted size is not the image's + 512"; fi
if [ "$(od -An -tx1 -N4 "$T/www/new.rsa.enc" | tr -d ' ')" = cfb68807 ]; then pass "the magic cf b6 88 07"
else fail "wrong magic"; fi

start_nginx "$T/www"
NG="http://127.0.0.1:$NGINX_PORT"

# ---- installs -------------------------------------------------------------------
for c in "rsa:$DATA/test_rsa3072.pem" "ecc:$DATA/test_p256.pem" "hmac:$T/hmac.bin"; do
    n=${c%%:*}
    device_running "$T/old.bin"
    expect_ok "$n: ota run --app ENCRYPTED --decrypt-key" $OTA -v run "$D" --app "$NG/new.$n.enc" --decrypt-key "${c#*:}"
    expect_log "$n: authenticated before the switch" "GCM tag verified"
    installed "$n" "$T/new.bin"
done

device_running "$T/old.bin"
printf 'CONFIG_FIRMWARE_UPGRADE_URI="%s"\nCONFIG_OTA_DECRYPT_KEY="%s"\n' "$NG/new.rsa.enc" "$DATA/test_rsa3072.pem" \
    >"$T/sdkconfig"
expect_ok "the key from CONFIG_OTA_DECRYPT_KEY" $OTA -v run "$D" --config "$T/sdkconfig"
installed "CONFIG_OTA_DECRYPT_KEY" "$T/new.bin"

# ---- refusals ---------------------------------------------------------------------
try_run() {  # NAME ARGS...: a fresh device, otadata noted, then the run
    device_running "$T/old.bin"
    $OTA flash read "$D" otadata "$T/od.before" >/dev/null 2>&1
    local name=$1; shift
    $OTA -v run "$D" "$@" >"$T/out" 2>"$T/err"
    if [ $? -eq 1 ]; then pass "$name: exit 1"; else fail "$name: exit status" "$T/err"; fi
}
try_run "no key" --app "$NG/new.rsa.enc"
refused "no key" OTA_ERR_DECRYPT_NO_KEY nowrite
try_run "another device's RSA key" --app "$NG/new.rsa.enc" --decrypt-key "$DATA/test_rsa3072_other.pem"
refused "another device's RSA key" OTA_ERR_DECRYPT_KEY nowrite
try_run "a P-256 key for an RSA image" --app "$NG/new.rsa.enc" --decrypt-key "$DATA/test_p256.pem"
refused "a P-256 key for an RSA image" OTA_ERR_DECRYPT_KEY nowrite
try_run "another device's P-256 key" --app "$NG/new.ecc.enc" --decrypt-key "$T/other_p256.pem"
refused "another device's P-256 key" "OTA_ERR_DECRYPT_TAG|OTA_ERR_IMG_MAGIC"
N=$(stat -c %s "$T/www/new.rsa.enc")
for off in 512 100000 $((N - 1)) $((N - 40)) 408 420; do
    flip "$T/www/new.rsa.enc" "$T/www/bad.enc" "$off"
    try_run "byte $off flipped" --app "$NG/bad.enc" --decrypt-key "$DATA/test_rsa3072.pem"
    case $off in
        408|420) refused "byte $off flipped (tag)" OTA_ERR_DECRYPT_TAG ;;
        512) refused "byte $off flipped (first ciphertext byte)" "OTA_ERR_IMG_MAGIC|OTA_ERR_DECRYPT_TAG" ;;
        *) refused "byte $off flipped (ciphertext)" "OTA_ERR_DECRYPT_TAG|OTA_ERR_IMG" ;;
    esac
done
flip "$T/www/new.rsa.enc" "$T/www/bad.enc" 1
try_run "a broken magic" --app "$NG/bad.enc" --decrypt-key "$DATA/test_rsa3072.pem"
refused "a broken magic" OTA_ERR_DECRYPT_HEADER nowrite
head -c 100000 "$T/www/new.rsa.enc" >"$T/www/short.enc"
try_run "a cut-short file" --app "$NG/short.enc" --decrypt-key "$DATA/test_rsa3072.pem"
refused "a cut-short file" OTA_ERR_DECRYPT_LENGTH nowrite
head -c 300 "$T/www/new.rsa.enc" >"$T/www/tiny.enc"
try_run "a file shorter than the header" --app "$NG/tiny.enc" --decrypt-key "$DATA/test_rsa3072.pem"
refused "a file shorter than the header" "OTA_ERR_DECRYPT_LENGTH|OTA_ERR_SHORT_READ" nowrite
try_run "a key file that is no key" --app "$NG/new.rsa.enc" --decrypt-key "$T/old.bin"
expect_log "a key file that is no key: named" "OTA_ERR_DECRYPT_KEY_FILE|not an RSA-3072"

# ---- our chunked format ------------------------------------------------------------
for c in "rsa:$DATA/test_rsa3072_pub.pem:$DATA/test_rsa3072.pem" "ecc:$DATA/test_p256_pub.pem:$DATA/test_p256.pem"; do
    IFS=: read -r n pub key <<<"$c"
    expect_ok "chunked ($n): image encrypt --format chunked" $OTA image encrypt "$T/new.bin" "$T/www/new.$n.oce" \
        --pub "$pub" --format chunked
    device_running "$T/old.bin"
    expect_ok "chunked ($n): ota run" $OTA -v run "$D" --app "$NG/new.$n.oce" --decrypt-key "$key"
    expect_log "chunked ($n): each chunk authenticated before it is written" "each written once its tag verifies"
    installed "chunked ($n)" "$T/new.bin"
done
flip "$T/www/new.rsa.oce" "$T/www/bad.oce" $((512 + 3 * 4112 + 7))
try_run "chunked: chunk 3 altered" --app "$NG/bad.oce" --decrypt-key "$DATA/test_rsa3072.pem"
refused "chunked: chunk 3 altered" "chunk 3 of .*OTA_ERR_DECRYPT_TAG|chunk 3 of"
$OTA flash read "$D" ota_1 "$T/slot.bin" >/dev/null 2>&1
if [ "$(dd if="$T/slot.bin" bs=4096 skip=3 count=1 status=none | tr -d '\377' | wc -c)" -eq 0 ]; then
    pass "chunked: nothing of chunk 3 in flash"
else fail "chunked: chunk 3 reached flash"; fi
flip "$T/www/new.rsa.oce" "$T/www/bad.oce" 20
try_run "chunked: header altered" --app "$NG/bad.oce" --decrypt-key "$DATA/test_rsa3072.pem"
refused "chunked: header altered" "OTA_ERR_DECRYPT_KEY|OTA_ERR_DECRYPT_HEADER" nowrite
try_run "chunked: another device's key" --app "$NG/new.rsa.oce" --decrypt-key "$DATA/test_rsa3072_other.pem"
refused "chunked: another device's key" OTA_ERR_DECRYPT_KEY nowrite
try_run "chunked: a key of the other kind" --app "$NG/new.rsa.oce" --decrypt-key "$DATA/test_p256.pem"
refused "chunked: a key of the other kind" OTA_ERR_DECRYPT_SCHEME nowrite
head -c 30000 "$T/www/new.rsa.oce" >"$T/www/short.oce"
try_run "chunked: cut short" --app "$NG/short.oce" --decrypt-key "$DATA/test_rsa3072.pem"
refused "chunked: cut short" OTA_ERR_DECRYPT_LENGTH nowrite

# ---- a power cut in the middle ----------------------------------------------------
device_running "$T/old.bin"
$OTA -v run "$D" --app "$NG/new.ecc.enc" --decrypt-key "$DATA/test_p256.pem" --power-cut-at 40 >"$T/out" 2>"$T/err"
if [ $? -eq 3 ]; then pass "power cut during an encrypted install: exit 3"; else fail "power cut: exit status" "$T/err"; fi
if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x10000"; then pass "power cut: the old app boots"
else fail "power cut: the old app does not boot"; fi
expect_ok "after the power cut: the next run" $OTA -v run "$D" --app "$NG/new.ecc.enc" --decrypt-key "$DATA/test_p256.pem"
if grep -q "resuming" "$T/err"; then fail "the encrypted image resumed mid-stream" "$T/err"
else pass "after the power cut: from byte 0"; fi
installed "after the power cut" "$T/new.bin"

# ---- a release published encrypted (ota release --encrypt-to) -------------------
mkdir -p "$T/www/rel"
expect_ok "ota release --encrypt-to" $OTA release "$T/www/rel" --image "$T/new.bin" --key "$DATA/test_p256.pem" \
    --encrypt-to "$DATA/test_rsa3072_pub.pem"
if ls "$T/www/rel"/app-*.enc >/dev/null 2>&1 && ! ls "$T/www/rel"/app-*.bin >/dev/null 2>&1; then
    pass "release: only the encrypted image is published"
else fail "release: the published image is not (only) encrypted"; fi
enc=$(ls "$T/www/rel"/app-*.enc | grep -v '\.cz\.enc$' | head -1)  # the image; app-*.cz.enc is it compressed
if grep -q "\"sha256\": \"$(sha256sum "$enc" | cut -c1-64)\"" "$T/www/rel/manifest.json"; then
    pass "release: the manifest signs the encrypted file's SHA-256"
else fail "release: the manifest does not sign the encrypted file" "$T/www/rel/manifest.json"; fi
expect_ok "release: --encrypt-to with --previous encrypts the patches too" \
    $OTA release "$T/www/rel2" --image "$T/new.bin" --previous "$T/old.bin" --key "$DATA/test_p256.pem" \
    --encrypt-to "$DATA/test_rsa3072_pub.pem"
if ! ls "$T/www/rel2" | grep -Eq '\.(bin|cz|compact)$'; then pass "release: nothing published in the clear"
else fail "release: a file in the clear"; fi
device_running "$T/old.bin"
expect_ok "release item: an encrypted image installs" $OTA -v run "$D" --manifest "$NG/rel/manifest.json" \
    --manifest-pub "$DATA/test_p256_pub.pem" --decrypt-key "$DATA/test_rsa3072.pem"
installed "release item" "$T/new.bin"
device_running "$T/old.bin"
cp "$enc" "$T/enc.keep"
flip "$T/enc.keep" "$enc" 1000
$OTA flash read "$D" otadata "$T/od.before" >/dev/null 2>&1
$OTA -v run "$D" --manifest "$NG/rel/manifest.json" --manifest-pub "$DATA/test_p256_pub.pem" \
    --decrypt-key "$DATA/test_rsa3072.pem" >"$T/out" 2>"$T/err"
refused "release item: a flipped byte" "OTA_ERR_DECRYPT_TAG|OTA_ERR_MANIFEST_IMAGE_DIGEST|OTA_ERR_IMG"
cp "$T/enc.keep" "$enc"

# ---- Espressif's own images ------------------------------------------------------
if [ -z "$VEC" ] || [ ! -d "$VEC/encrypted" ]; then
    skip "vectors: ../shared/vectors/encrypted not present"
else
    E="$VEC/encrypted"
    cp "$E"/*.enc "$T/www/"
    for c in "blink_esp32s2.rsa3072.enc:rsa3072_private.pem:blink_esp32s2.bin:esp32s2" \
        "blink_esp32s2.ecc256.enc:device_hmac_key.bin:blink_esp32s2.bin:esp32s2" \
        "blink_esp32s2.ecc256.enc:device_ecc256_private.pem:blink_esp32s2.bin:esp32s2" \
        "korvo-12198e8d.rsa3072.enc:rsa3072_private.pem:delta/korvo-12198e8d.bin:esp32"; do
        IFS=: read -r enc key plain chip <<<"$c"
        device_running "$T/old.bin" "$chip"
        [ "$chip" = esp32s2 ] && $OTA image make "$T/old-s2.bin" --project ota_example --version v1.0.0 \
            --size 200000 --chip esp32s2 >/dev/null && device_running "$T/old-s2.bin" "$chip"
        expect_ok "vector $enc with $key" $OTA -v run "$D" --app "$NG/$enc" --decrypt-key "$E/$key"
        installed "vector $enc with $key" "$VEC/$plain"
    done
fi
finish
