#!/usr/bin/env bash
# Releases from a hostile server (hostile_server.py): another product's
# signed manifest, an older serial, a manifest that never ends, a signature
# that never ends, a manifest replaced between it and its signature. Each
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
finish
