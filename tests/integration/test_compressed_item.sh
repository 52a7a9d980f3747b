#!/usr/bin/env bash
# `ota run --app URI` given a compressed app image (`ota image compress`),
# against real servers: nginx (Range) and python's http.server (no Range).
#  - synthetic images: decompressed into the slot byte for byte, the new app
#    boots; a signed image installs on a device with Secure Boot V2 on, an
#    unsigned one is refused there (the checks run on the decompressed bytes);
#  - truncated and mutated files fail with a named error, the old app boots;
#  - the connection dropped half way: nginx resumes (206), python restarts;
#  - with ../shared/vectors: every vector release, compressed, installs onto
#    a device running the release before it, byte for byte, and boots.
# Usage: test_compressed_item.sh OTA [VECTORS_DIR]
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
$OTA image make "$T/new.bin" --project play_mp3_control --version v2.0.0 --size 230000 >/dev/null
expect_ok "ota image compress" $OTA image compress "$T/new.bin" "$T/www/new.cz" --json
expect_out "  ... reports the sizes" '"output_size"'
expect_ok "ota image decompress gives the image back" $OTA image decompress "$T/www/new.cz" "$T/back.bin"
if cmp -s "$T/back.bin" "$T/new.bin"; then pass "  ... byte for byte"; else fail "  ... byte for byte"; fi
# Xtensa code flag (header byte 5): set on an ESP32 image with code, clear
# with --no-code-transform; both decompress to the image.
flag_of() { od -An -tu1 -j5 -N1 "$1" | tr -d ' '; }
if [ "$(flag_of "$T/www/new.cz")" = 1 ]; then pass "  ... flagged: calls coded by target"; else fail "  ... flagged: calls coded by target"; fi
expect_ok "ota delta info of it" $OTA delta info "$T/www/new.cz" --json
expect_out "  ... names the code transform" '"code_transform": true'
expect_ok "ota image compress --no-code-transform" $OTA image compress "$T/new.bin" "$T/plain.cz" --no-code-transform
if [ "$(flag_of "$T/plain.cz")" = 0 ]; then pass "  ... not flagged"; else fail "  ... not flagged"; fi
expect_ok "  ... decompresses" $OTA image decompress "$T/plain.cz" "$T/plain.bin"
if cmp -s "$T/plain.bin" "$T/new.bin"; then pass "  ... byte for byte"; else fail "  ... byte for byte"; fi
# A header that claims more than the body holds: the room reserved for the
# claim (up to 64 MiB) or the grown buffer (beyond it) ends in a named error,
# and no output file.
for claim in 62914560 4294967295; do
    python3 -c "import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[8:12] = int(sys.argv[2]).to_bytes(4, 'little'); open(sys.argv[3], 'wb').write(d)" \
        "$T/www/new.cz" "$claim" "$T/lie.cz"
    expect_fail "a header claiming $claim bytes is refused" 1 "OTA_ERR_DELTA_TRUNCATED" \
        $OTA image decompress "$T/lie.cz" "$T/lie.bin"
    if [ ! -e "$T/lie.bin" ]; then pass "  ... and writes nothing"; else fail "  ... and writes nothing"; fi
done
head -c 1000 /dev/urandom >"$T/junk.bin"
expect_fail "a file that is no app image is refused" 1 "not a valid app image" \
    $OTA image compress "$T/junk.bin" "$T/junk.cz"
start_nginx "$T/www"
start_python_server "$T/www"
NG="http://127.0.0.1:$NGINX_PORT" PY="http://127.0.0.1:$PY_PORT"

for base in "$NG" "$PY"; do
    name="synthetic via $([ "$base" = "$NG" ] && echo nginx || echo python)"
    device_running "$T/old.bin"
    expect_ok "$name: ota run --app COMPRESSED" $OTA -v run "$D" --app "$base/new.cz"
    expect_log "  ... recognised as a compressed image" "is a compressed image of 230000 bytes"
    installed "$name" "$T/new.bin"
done

# Hostile files: cut short, a byte flipped in the body, a header lying about the length.
size=$(stat -c %s "$T/www/new.cz")
head -c $((size - 100)) "$T/www/new.cz" >"$T/www/short.cz"
cp "$T/www/new.cz" "$T/www/flip.cz"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xFF; open(p, "wb").write(b)' \
    "$T/www/flip.cz"
cp "$T/www/new.cz" "$T/www/long.cz"
printf '\xff\xff\x0f\x00' | dd of="$T/www/long.cz" bs=1 seek=8 conv=notrunc 2>/dev/null
for f in short flip long; do
    device_running "$T/old.bin"
    expect_fail "$f.cz is refused with a named error" 1 "OTA_ERR_(DELTA|IMG)_[A-Z]+" $OTA -v run "$D" --app "$NG/$f.cz"
    still_old "$f.cz"
done

# Secure Boot V2 on: the decompressed image's signature is what counts.
$OTA image sign "$T/old.bin" "$T/old.signed.bin" --key "$HERE/../data/test_rsa3072.pem" >/dev/null
$OTA image sign "$T/new.bin" "$T/new.signed.bin" --key "$HERE/../data/test_rsa3072.pem" >/dev/null
$OTA image compress "$T/new.signed.bin" "$T/www/new.signed.cz" >/dev/null
device_running "$T/old.signed.bin"
$OTA efuse "$D" --burn-key "$HERE/../data/test_rsa3072_pub.pem" >/dev/null
expect_fail "secure boot on: an unsigned compressed image is refused" 1 "OTA_ERR_SIG|signature" \
    $OTA -v run "$D" --app "$NG/new.cz"
still_old "unsigned under secure boot"
expect_ok "secure boot on: a signed compressed image installs" $OTA -v run "$D" --app "$NG/new.signed.cz"
installed "signed, secure boot on" "$T/new.signed.bin"

device_running "$T/old.bin"
start_cut_proxy "$NGINX_PORT" $((size / 2))
expect_ok "dropped at 50% via nginx: completes" $OTA -v run "$D" --app "http://127.0.0.1:$PROXY_PORT/new.cz" \
    --retry-backoff 20
stop_cut_proxy
installed "dropped at 50% via nginx" "$T/new.bin"
got=$(received)
if [ -n "$got" ] && [ "$got" -lt $((size * 11 / 10)) ] && grep -q "(resumed)" "$T/err"; then
    pass "  ... resumed with 206 ($got bytes for $size)"
else fail "  ... resumed with 206" "$T/err"; fi
device_running "$T/old.bin"
start_cut_proxy "$PY_PORT" $((size / 2))
expect_ok "dropped at 50% via python: completes" $OTA -v run "$D" --app "http://127.0.0.1:$PROXY_PORT/new.cz" \
    --retry-backoff 20
stop_cut_proxy
installed "dropped at 50% via python" "$T/new.bin"

# Resume at the journal's last checkpoint (a sync point every 64 KiB of image):
# after an emulated power cut, a connection cut with no retry left, and the
# process killed (kill -9) while it waits to reconnect, the next run asks
# nginx for the rest from the checkpoint's input offset; it receives at most
# the remainder plus one checkpoint interval, and the image is whole.
$OTA image make "$T/big.bin" --project play_mp3_control --version v2.0.0 --size 600000 >/dev/null
expect_ok "ota image compress --sync 64K" $OTA image compress "$T/big.bin" "$T/www/big.cz" --sync 64K
bsize=$(stat -c %s "$T/www/big.cz")
interval=$(( (bsize * 65536 + 599999) / 600000 ))  # input bytes per sync interval
resumed_within() {  # NAME FIRST_LOG: the rerun's log in $T/err
    local got1 got2 rest
    got1=$(sed -n 's/.*received \([0-9]*\) bytes over.*/\1/p' "$2" | tail -1)
    got2=$(received)
    rest=$((bsize - ${got1:-0}))
    if grep -q "resuming the compressed image at its checkpoint" "$T/err" && [ -n "$got2" ] &&
        [ "$got2" -le $((rest + interval)) ] && [ "$got2" -lt "$bsize" ]; then
        pass "  ... $1: resumed at a checkpoint: $got2 bytes, remainder $rest + interval $interval"
    else fail "  ... $1: resumed at a checkpoint ($got2 bytes, remainder $rest + interval $interval)" "$T/err"; fi
}
device_running "$T/old.bin"
$OTA -v run "$D" --app "$NG/big.cz" --power-cut-at 600 >"$T/first" 2>&1
if [ $? -eq 3 ]; then pass "power cut while a compressed image installs"; else fail "the power cut did not happen" "$T/first"; fi
still_old "after the power cut"
expect_ok "the next run completes" $OTA -v run "$D" --app "$NG/big.cz"
resumed_within "power cut" "$T/first"
installed "resumed after a power cut" "$T/big.bin"

device_running "$T/old.bin"
start_cut_proxy "$NGINX_PORT" $((bsize / 2))
CUTURL="http://127.0.0.1:$PROXY_PORT/big.cz"
$OTA -v run "$D" --app "$CUTURL" --retries 0 >"$T/first" 2>&1
if [ $? -ne 0 ]; then pass "connection cut at 50 %, no retry: the run fails"; else fail "the cut run succeeded" "$T/first"; fi
expect_ok "the next run through the same URI completes" $OTA -v run "$D" --app "$CUTURL"
stop_cut_proxy
resumed_within "connection cut" "$T/first"
installed "resumed after a connection cut" "$T/big.bin"

device_running "$T/old.bin"
start_cut_proxy "$NGINX_PORT" $((bsize * 3 / 4))
CUTURL="http://127.0.0.1:$PROXY_PORT/big.cz"
killed_while_reconnecting "$T/first" $OTA -v run "$D" --app "$CUTURL" --retry-backoff 60000
echo "I (0) OTA_SERVICE: received ${got1:-0} bytes over 1 streams" >>"$T/first"  # killed: it never said
still_old "after kill -9"
expect_ok "after kill -9 the next run completes" $OTA -v run "$D" --app "$CUTURL"
stop_cut_proxy
resumed_within "kill -9" "$T/first"
installed "resumed after kill -9" "$T/big.bin"

# A checkpoint of another image is never believed: the file changed (new
# validator) between the cut and the next run: from byte 0, the new image whole.
device_running "$T/old.bin"
$OTA -v run "$D" --app "$NG/big.cz" --power-cut-at 600 >"$T/first" 2>&1
$OTA image make "$T/big2.bin" --project play_mp3_control --version v2.0.1 --size 600000 >/dev/null
$OTA image compress "$T/big2.bin" "$T/www/big.cz" --sync 64K >/dev/null
touch -d '+1 minute' "$T/www/big.cz"
expect_ok "another image at the same URI after the cut: installs" $OTA -v run "$D" --app "$NG/big.cz"
if ! grep -q "resuming the compressed image at its checkpoint" "$T/err" && [ "$(received)" -eq "$(stat -c %s "$T/www/big.cz")" ]; then
    pass "  ... from byte 0, the old checkpoint not believed"
else fail "  ... from byte 0" "$T/err"; fi
installed "another image after the cut" "$T/big2.bin"

if [ -z "$VEC" ] || [ ! -d "$VEC/delta" ]; then
    skip "vector releases (no ../shared/vectors)"
    finish  # the synthetic part ran and passed: not a skipped test (its summary counts the skipped part)
    exit
fi
V="$VEC/delta"
rels=(d2d8d982 b7855e8e 32641331 cf645f84 12198e8d)
for i in 0 1 2 3; do
    o=${rels[$i]} n=${rels[$((i + 1))]}
    $OTA image compress "$V/korvo-$n.bin" "$T/www/korvo-$n.cz" >/dev/null
    device_running "$V/korvo-$o.bin"
    expect_ok "vector $n compressed, onto $o: ota run --app" $OTA -v run "$D" --app "$NG/korvo-$n.cz"
    installed "vector $n compressed" "$V/korvo-$n.bin"
done
finish
