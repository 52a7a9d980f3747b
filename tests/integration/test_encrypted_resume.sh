#!/usr/bin/env bash
# An encrypted image in our chunked format resumes across runs at a chunk
# boundary (docs/encryption.md, "Resume"); esp_encrypted_img's restarts
# from byte 0. Through nginx (which honours Range + If-Range):
#  - a power cut in the middle: the next run asks for the rest from the last
#    chunk boundary whose plain bytes are durable, authenticates every chunk
#    from the first byte it reads, installs byte for byte and boots, and
#    downloads at most the remainder plus two chunks (bytes counted by the
#    transport; lost are the chunk being programmed when the power went and
#    the next one, still in RAM);
#  - a connection cut (the run fails, no reconnection): the same, at most the
#    remainder plus one chunk;
#  - a chunk altered on the server after the cut: refused, the old app
#    boots, and the next run takes the image from byte 0;
#  - esp_encrypted_img after a power cut: from byte 0.
# Usage: test_encrypted_resume.sh OTA DATA_DIR
set -u
OTA=$1
DATA=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

. "$HERE/item_device.sh"
CHUNK=$((4096 + 16))

resumed_at() { sed -n 's/.*resuming the chunked transfer at chunk [0-9]* of [0-9]* (encrypted byte \([0-9]*\)).*/\1/p' "$T/err" | tail -1; }

# second_run NAME URL FILE_LEN FIRST SLACK: the run after an interruption
# resumes at a chunk boundary, fetches exactly the rest from there, which is
# at most what the first run left (it received FIRST bytes) plus SLACK
# chunks, and installs
second_run() {
    local name=$1 url=$2 len=$3 first=$4 slack=$5
    expect_ok "$name: the next run" $OTA -v run "$D" --app "$url" --decrypt-key "$DATA/test_p256.pem"
    expect_log "$name: resumed at a chunk boundary" "resuming the chunked transfer at chunk [1-9]"
    expect_log "$name: with a range request" "HTTP 206"
    local at got
    at=$(resumed_at)
    got=$(received)
    echo "$name: first run received $first B, the resumed run ${got:-?} B of $len (from encrypted byte ${at:-?})"
    if [ -n "$at" ] && [ -n "$got" ] && [ "$got" -eq $((len - at)) ] && [ "$got" -le $((len - first + slack * CHUNK)) ]
    then
        pass "$name: downloads the rest from the chunk boundary, at most the remainder plus $slack chunk(s)"
    else fail "$name: downloaded ${got:-?} B from ${at:-?} (first run: $first of $len)" "$T/err"; fi
    installed "$name" "$T/new.bin"
}

$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
$OTA image make "$T/new.bin" --project ota_example --version v2.0.0 --size 600000 >/dev/null
expect_ok "encrypt (chunked)" $OTA image encrypt "$T/new.bin" "$T/www/new.oce" --pub "$DATA/test_p256_pub.pem" \
    --format chunked
expect_ok "encrypt (esp)" $OTA image encrypt "$T/new.bin" "$T/www/new.enc" --pub "$DATA/test_p256_pub.pem"
LEN=$(stat -c %s "$T/www/new.oce")
start_nginx "$T/www"
NG="http://127.0.0.1:$NGINX_PORT"

# ---- a power cut ----------------------------------------------------------------
for cut in 30 90; do
    device_running "$T/old.bin"
    $OTA -v run "$D" --app "$NG/new.oce" --decrypt-key "$DATA/test_p256.pem" --power-cut-at $cut >"$T/out" 2>"$T/err"
    if [ $? -eq 3 ]; then pass "power cut at flash op $cut: exit 3"; else fail "power cut at $cut: exit status" "$T/err"; fi
    still_old "power cut at $cut"
    # what the first run received but never had in flash: the chunk being
    # programmed when the power went, and the next one still in RAM
    second_run "power cut at flash op $cut" "$NG/new.oce" "$LEN" "$(received)" 2
done

# ---- a connection cut, no reconnection in that run --------------------------------------
for pct in 20 70; do
    device_running "$T/old.bin"
    start_cut_proxy "$NGINX_PORT" $((LEN * pct / 100))
    url="http://127.0.0.1:$PROXY_PORT/new.oce"
    $OTA -v run "$D" --app "$url" --decrypt-key "$DATA/test_p256.pem" --retries 0 --no-reboot >"$T/out" 2>"$T/err"
    if [ $? -ne 0 ]; then pass "connection cut at $pct%: the run fails"; else fail "connection cut at $pct%: completed" "$T/err"; fi
    still_old "connection cut at $pct%"
    second_run "connection cut at $pct%" "$url" "$LEN" "$(received)" 1
    stop_cut_proxy
done

# ---- the file altered on the server between the runs -------------------------------
device_running "$T/old.bin"
cp -p "$T/www/new.oce" "$T/keep.oce"
$OTA -v run "$D" --app "$NG/new.oce" --decrypt-key "$DATA/test_p256.pem" --power-cut-at 60 >"$T/out" 2>"$T/err"
flip_byte "$T/www/new.oce" $((LEN - 5000))
touch -d "@$(stat -c %Y "$T/keep.oce")" "$T/www/new.oce"  # same ETag: only the chunk tags can tell
$OTA -v run "$D" --app "$NG/new.oce" --decrypt-key "$DATA/test_p256.pem" >"$T/out" 2>"$T/err"
if [ $? -eq 1 ]; then pass "altered after the cut: refused"; else fail "altered after the cut: exit status" "$T/err"; fi
expect_log "altered after the cut: resumed, then the altered chunk refused" "resuming the chunked transfer"
expect_log "altered after the cut: by its tag" "OTA_ERR_DECRYPT_TAG"
still_old "altered after the cut"
cp -p "$T/keep.oce" "$T/www/new.oce"
expect_ok "altered after the cut: the next run" $OTA -v run "$D" --app "$NG/new.oce" --decrypt-key "$DATA/test_p256.pem"
if grep -q "resuming the chunked transfer" "$T/err"; then fail "after a refused chunk the journal was resumed" "$T/err"
else pass "after a refused chunk: from byte 0"; fi
installed "altered after the cut, then restored" "$T/new.bin"

# ---- esp_encrypted_img: from byte 0 ---------------------------------------------------
device_running "$T/old.bin"
$OTA -v run "$D" --app "$NG/new.enc" --decrypt-key "$DATA/test_p256.pem" --power-cut-at 60 >"$T/out" 2>"$T/err"
expect_ok "esp format after a power cut: the next run" $OTA -v run "$D" --app "$NG/new.enc" --decrypt-key "$DATA/test_p256.pem"
if [ "$(received)" -eq "$(stat -c %s "$T/www/new.enc")" ] && ! grep -q "resuming" "$T/err"; then
    pass "esp format: from byte 0, the whole file"
else fail "esp format: resumed" "$T/err"; fi
installed "esp format after a power cut" "$T/new.bin"
finish
