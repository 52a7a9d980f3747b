#!/usr/bin/env bash
# Releases from a hostile server (hostile_server.py): another product's
# signed manifest, an older serial, a manifest that never ends, a signature
# that never ends, a manifest replaced between it and its signature, an
# image whose bytes change between resumes (same ETag), a patch that never
# produces output. Each
# case: the exit status, the error the user sees, and the device still
# boots the app it ran.
# Usage: test_hostile.sh OTA KEYDIR
set -u
OTA=$1
K=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
$OTA image make "$T/v1.bin" --project lamp --version v1.0.0 --size 300000 >/dev/null
python3 "$HERE/app_variant.py" "$T/v1.bin" "$T/v2.bin" v2.0.0 1
python3 "$HERE/app_variant.py" "$T/v1.bin" "$T/v3.bin" v3.0.0 2
$OTA image make "$T/pump.bin" --project pump --version v9.0.0 --size 300000 >/dev/null
mkdir -p "$T/www"
release() {  # NAME ARGS...
    $OTA release "$T/www/$1" --key "$K/test_p256.pem" "${@:2}" >"$T/release.out" 2>&1 || cat "$T/release.out"
}
release lamp --image "$T/v2.bin" --previous "$T/v1.bin" --serial 5
release lamp-old --image "$T/v3.bin" --previous "$T/v1.bin" --serial 4
release pump --image "$T/pump.bin" --serial 50
release swapped --image "$T/v2.bin" --previous "$T/v1.bin" --serial 6
release swapped.next --image "$T/v3.bin" --previous "$T/v1.bin" --serial 7

rm -f "$T/hostile.port"
python3 "$HERE/hostile_server.py" "$T/www" "$T/hostile.port" 600 2>"$T/hostile.log" &
SERVER_PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/hostile.port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/hostile.port")"
wait_port "$(cat "$T/hostile.port")"

new_device() {  # NAME: v1 in ota_0, booted
    rm -f "$T/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "$T/v1.bin" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null
}
# check NAME DEVICE PATH STATUS ERROR VERSION: ota run against URL/PATH ends
# with STATUS, shows ERROR, and the device still boots lamp VERSION
check() {
    local name=$1 dev=$2 path=$3 want=$4 err=$5 version=$6
    timeout 120 $OTA -v run "$T/$dev.img" --manifest "$URL/$path" --manifest-pub "$K/test_p256_pub.pem" \
        --retry-backoff 10 >"$T/run.out" 2>&1
    local rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name (exit $rc, wanted $want)" "$T/run.out"; return; fi
    if ! grep -q -- "$err" "$T/run.out"; then fail "$name (no $err)" "$T/run.out"; return; fi
    pass "$name: exit $want, $err"
    if $OTA boot "$T/$dev.img" >"$T/boot.out" 2>&1 && grep -q "Project name: *lamp" "$T/boot.out" &&
        grep -q "App version: *$version" "$T/boot.out"; then
        pass "  $dev still boots lamp $version"
    else
        fail "  $dev still boots lamp $version" "$T/boot.out"
    fi
}

# Another product's signed manifest (a real one, the fleet's own key) where
# this device's release should be.
mkdir -p "$T/www/mirror"
cp "$T/www/pump/manifest.json" "$T/www/pump/manifest.json.sig" "$T/www/mirror/"
new_device a
check "another product's signed manifest" a plain/mirror/manifest.json 1 OTA_ERR_MANIFEST_PROJECT v1.0.0

# The device takes serial 5; the server then serves the older serial 4.
check "the current release installs" a plain/lamp/manifest.json 0 "action=patch" v2.0.0
cp "$T/www/lamp-old/manifest.json" "$T/www/lamp-old/manifest.json.sig" "$T/www/mirror/"
check "an older serial, validly signed" a plain/mirror/manifest.json 1 OTA_ERR_MANIFEST_REPLAY v2.0.0

new_device b
check "a manifest that never ends" b endless/lamp/manifest.json 1 OTA_ERR_MANIFEST_TOO_BIG v1.0.0
check "a signature file that never ends" b endless-sig/lamp/manifest.json 1 OTA_ERR_MANIFEST_SIG_TOO_BIG v1.0.0
grep -q "OTA_ERR_MANIFEST_TOO_BIG" "$T/run.out" && fail "  not called a manifest too big" "$T/run.out" ||
    pass "  not called a manifest too big"
check "a manifest replaced between it and its signature" b swap/swapped/manifest.json 1 OTA_ERR_MANIFEST_SIGNATURE v1.0.0

# Content that changes between resumes: the full image is cut half-way, and
# the resume (same ETag, so If-Range matches) brings another image's bytes.
# A device running an app no patch is for takes the full image.
mkdir -p "$T/www/shift"
cp "$T/www/lamp/manifest.json" "$T/www/lamp/manifest.json.sig" "$T/www/lamp/"app-*.bin "$T/www/shift/"
for f in "$T/www/shift/"app-*.bin; do cp "$T/v3.bin" "$f.alt"; done
new_other() {  # DEVICE: lamp v0.9.0 (no patch for it) in ota_0, booted
    rm -f "$T/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "$T/v0.bin" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null
}
python3 "$HERE/app_variant.py" "$T/v1.bin" "$T/v0.bin" v0.9.0 3
new_other c
check "an image whose bytes change between resumes" c shifty/shift/manifest.json 1 OTA_ERR_MANIFEST_IMAGE v0.9.0
grep -q "resum" "$T/run.out" && pass "  the transfer did resume" || fail "  the transfer did resume" "$T/run.out"

# A patch replaced on the mirror by one that never produces output, its
# header naming the running app: at the signed size the applier stops it
# (stalled) or the signed digest does; longer, it is refused at byte 0 by
# the signed size. Either way at once, not at the item's deadline, and
# the device takes the next item of the release (the full image).
mkdir -p "$T/www/stall"
cp "$T/www/lamp/"* "$T/www/stall/"
for f in "$T/www/stall/"patch-*; do
    python3 - "$T/v1.bin" "$f" <<'PY'
import struct, sys
img = open(sys.argv[1], "rb").read()
head = struct.pack("<I4sII", 0x94544F4F, b"\x07\0\0\0", len(img), len(img)) + img[-32:] + b"\x5a" * 32
size = len(open(sys.argv[2], "rb").read()) if len(sys.argv) < 4 else 1 << 20
open(sys.argv[2], "wb").write((head + bytes(size))[:size])
PY
done
mkdir -p "$T/www/stall-long"
cp "$T/www/lamp/"* "$T/www/stall-long/"
for f in "$T/www/stall-long/"patch-*; do cp "$T/www/stall/$(basename "$f")" "$f"; truncate -s 1M "$f"; done
for case in stall stall-long; do
    new_device d
    SECONDS=0
    check "a patch that never produces output ($case)" d plain/$case/manifest.json 0 \
        "failed=\[patch .*OTA_ERR_\(DELTA_STALLED\|MANIFEST_PATCH_DIGEST\)" v2.0.0
    [ "$SECONDS" -lt 60 ] && pass "  ended in ${SECONDS} s, not at the deadline" || fail "  ended in ${SECONDS} s"
done
finish
