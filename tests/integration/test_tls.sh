#!/usr/bin/env bash
# TLS verified end to end: nginx on loopback with certificates made by
# openssl. The right CA succeeds; a wrong CA, a hostname mismatch, an
# expired certificate and no CA at all (the system store does not know the
# test CA) each fail with OTA_ERR_TLS and leave the device untouched; the
# data item uses its own CA. Usage: test_tls.sh OTA
set -u
OTA=$1
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

bash "$HERE/make_certs.sh" "$T/pki"
mkdir -p "$T/www"
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
$OTA image make "$T/www/new.bin" --project play_mp3_control --version v2.0.0 --size 200000 >/dev/null
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 100000 >/dev/null
head -c 5000 /dev/urandom >"$T/a.mp3"
$OTA tone make "$T/www/tone.bin" "$T/a.mp3" --format 1 >/dev/null
$OTA flash create "$T/base.img" --table "$T/partitions.csv" >/dev/null
$OTA flash write "$T/base.img" ota_0 "$T/old.bin" >/dev/null
$OTA boot "$T/base.img" >/dev/null
start_nginx_tls "$T/www" "$T/pki"
D="$T/dev.img"
GOOD=https://localhost:$TLS_GOOD_PORT
CA="$T/pki/ca.pem"

tls_ok() {  # NAME ARGS...
    local name=$1; shift
    cp "$T/base.img" "$D"
    if $OTA -v run "$D" --retries 0 "$@" >"$T/run.log" 2>&1; then pass "$name"; else fail "$name" "$T/run.log"; fi
}
tls_fails() {  # NAME ARGS...: OTA_ERR_TLS, nothing written, the old app boots
    local name=$1; shift
    cp "$T/base.img" "$D"
    $OTA -v run "$D" --retries 0 "$@" >"$T/run.log" 2>&1
    local rc=$?
    if [ $rc -ne 1 ] || ! grep -q "(OTA_ERR_TLS" "$T/run.log"; then fail "$name: no OTA_ERR_TLS (exit $rc)" "$T/run.log"; return; fi
    if ! cmp -s "$T/base.img" "$D"; then fail "$name: the device changed" "$T/run.log"; return; fi
    if ! $OTA boot "$D" 2>&1 | grep -q "Project name: *ota_example"; then fail "$name: old app does not boot"; return; fi
    pass "$name"
}

tls_ok "https with the right CA" --app "$GOOD/new.bin" --ca "$CA"
grep -q "^booted: ota_1" "$T/run.log" && pass "https: the new app boots" || fail "https: the new app boots" "$T/run.log"
grep -q "not authenticated" "$T/run.log" && fail "https is not reported as unauthenticated" "$T/run.log" \
    || pass "https is not reported as unauthenticated"
tls_ok "https by IP address (SAN IP:127.0.0.1)" --app "https://127.0.0.1:$TLS_GOOD_PORT/new.bin" --ca "$CA"
tls_fails "wrong CA" --app "$GOOD/new.bin" --ca "$T/pki/other-ca.pem"
tls_fails "no CA: the system store does not know the test CA" --app "$GOOD/new.bin"
tls_fails "hostname mismatch" --app "https://localhost:$TLS_MISMATCH_PORT/new.bin" --ca "$CA"
tls_fails "expired certificate" --app "https://localhost:$TLS_EXPIRED_PORT/new.bin" --ca "$CA"
grep -qi "expired" "$T/run.log" && pass "expired: the log says so" || fail "expired: the log says so" "$T/run.log"

tls_ok "data item over https with its own CA" --data "flash_tone=$GOOD/tone.bin" --data-ca "$CA" --no-reboot
tls_fails "data item with a wrong CA" --data "flash_tone=$GOOD/tone.bin" --data-ca "$T/pki/other-ca.pem"
tls_fails "data item: the app's CA is not the data item's" --data "flash_tone=$GOOD/tone.bin" \
    --data-ca "$T/pki/other-ca.pem" --ca "$CA"

stop_servers
finish
