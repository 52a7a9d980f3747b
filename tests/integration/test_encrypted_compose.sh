#!/usr/bin/env bash
# Encryption wraps any payload (docs/encryption.md, "Compose"): a compressed
# image (`ota image compress`) and a patch (`ota delta make`, esp and compact)
# encrypted with `ota image encrypt` in either format install through
# `ota run --app` from nginx and python's http.server: decrypted first, then
# told apart by their magic, then applied and verified as a plain image.
#  - every combination installs byte for byte and boots;
#  - chunked: a flipped byte in the first chunk is refused before any flash
#    write; a patch for another base, encrypted, is refused before any write;
#  - a power cut in the middle of an encrypted patch: the old app boots, the
#    next run installs.
# Usage: test_encrypted_compose.sh OTA DATA_DIR
set -u
OTA=$1
DATA=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

. "$HERE/item_device.sh"

# refused_nowrite NAME ERR: exit 1 with ERR, not one flash write, the old app boots
refused_nowrite() {
    expect_log "$1: $2" "$2"
    expect_log "$1: before any flash write" "FLASH: 0 sector erases, 0 block erases .* 0 page programs"
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x10000"; then pass "$1: the old app boots"
    else fail "$1: the old app does not boot"; fi
}

flip() {
    cp "$1" "$2" && flip_byte "$2" "$3"
}

$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/new.bin" --project ota_example --version v2.0.0 --size 230001 >/dev/null
$OTA image make "$T/other.bin" --project ota_example --version v1.5.0 --size 180000 >/dev/null
expect_ok "image compress" $OTA image compress "$T/new.bin" "$T/new.cz"
expect_ok "delta make (esp)" $OTA delta make "$T/old.bin" "$T/new.bin" "$T/new.espdelta" --format esp
expect_ok "delta make (compact)" $OTA delta make "$T/old.bin" "$T/new.bin" "$T/new.compact" --format compact
expect_ok "delta make (another base)" $OTA delta make "$T/other.bin" "$T/new.bin" "$T/other.compact" --format compact
for p in cz espdelta compact; do
    src="$T/new.$p"
    expect_ok "encrypt $p (esp format)" $OTA image encrypt "$src" "$T/www/$p.enc" --pub "$DATA/test_p256_pub.pem"
    expect_ok "encrypt $p (chunked)" $OTA image encrypt "$src" "$T/www/$p.oce" --pub "$DATA/test_rsa3072_pub.pem" \
        --format chunked
done
expect_ok "encrypt a patch for another base" $OTA image encrypt "$T/other.compact" "$T/www/other.oce" \
    --pub "$DATA/test_rsa3072_pub.pem" --format chunked
start_nginx "$T/www"
start_python_server "$T/www"

for srv in "nginx:http://127.0.0.1:$NGINX_PORT" "python:http://127.0.0.1:$PY_PORT"; do
    for p in cz espdelta compact; do
        for f in "enc:$DATA/test_p256.pem" "oce:$DATA/test_rsa3072.pem"; do
            name="$p.${f%%:*} via ${srv%%:*}"
            device_running "$T/old.bin"
            expect_ok "$name: ota run --app" $OTA -v run "$D" --app "${srv#*:}/$p.${f%%:*}" --decrypt-key "${f#*:}"
            case $p in
                cz) expect_log "$name: decrypted, then told a compressed image" "decrypted bytes are a compressed image" ;;
                *) expect_log "$name: decrypted, then told a patch" "decrypted bytes are a patch for the running app" ;;
            esac
            installed "$name" "$T/new.bin"
        done
    done
done
NG="http://127.0.0.1:$NGINX_PORT"

# ---- refusals ---------------------------------------------------------------------
for p in cz compact; do
    flip "$T/www/$p.oce" "$T/www/bad.oce" $((512 + 100))
    device_running "$T/old.bin"
    $OTA -v run "$D" --app "$NG/bad.oce" --decrypt-key "$DATA/test_rsa3072.pem" >"$T/out" 2>"$T/err"
    if [ $? -eq 1 ]; then pass "chunked $p, chunk 0 altered: exit 1"; else fail "chunked $p, chunk 0 altered" "$T/err"; fi
    refused_nowrite "chunked $p, chunk 0 altered" "chunk 0 of [0-9]*: the encrypted image failed authentication"
done
device_running "$T/old.bin"
$OTA -v run "$D" --app "$NG/other.oce" --decrypt-key "$DATA/test_rsa3072.pem" >"$T/out" 2>"$T/err"
if [ $? -eq 1 ]; then pass "an encrypted patch for another base: exit 1"; else fail "another base: exit" "$T/err"; fi
refused_nowrite "an encrypted patch for another base" OTA_ERR_DELTA_BASE

# ---- a power cut in the middle of an encrypted patch -------------------------------
for f in enc oce; do
    key=$([ $f = enc ] && echo "$DATA/test_p256.pem" || echo "$DATA/test_rsa3072.pem")
    device_running "$T/old.bin"
    $OTA -v run "$D" --app "$NG/compact.$f" --decrypt-key "$key" --power-cut-at 30 >"$T/out" 2>"$T/err"
    if [ $? -eq 3 ]; then pass "compact.$f: power cut: exit 3"; else fail "compact.$f: power cut: exit status" "$T/err"; fi
    if $OTA boot "$D" 2>&1 | grep -q "Loaded app from partition at offset 0x10000"; then pass "compact.$f: the old app boots"
    else fail "compact.$f: after the cut the old app does not boot"; fi
    expect_ok "compact.$f: the next run" $OTA -v run "$D" --app "$NG/compact.$f" --decrypt-key "$key"
    installed "compact.$f after the power cut" "$T/new.bin"
done
finish
