#!/usr/bin/env bash
# Releases through a signed manifest, served by nginx: a patch for the
# running app, up to date, and every refusal with its own error while the
# running app still boots (a tampered manifest, another key, an older
# serial, another project or chip, a patch that is not the signed one), and
# a missing patch that falls back to the full image.
# Usage: test_release.sh OTA KEYDIR
set -u
OTA=$1
K=$2
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
mkdir -p "$T/www"
for v in 1 2 3; do
    $OTA image make "$T/v$v.bin" --project lamp --version "v$v.0.0" --size 300000 >/dev/null
done
$OTA image make "$T/other.bin" --project pump --version v9.0.0 --size 300000 >/dev/null
$OTA image make "$T/s3.bin" --project lamp --version v9.0.0 --size 300000 --chip esp32s3 >/dev/null
start_nginx "$T/www"
URL="http://127.0.0.1:$NGINX_PORT"
PUB="$K/test_p256_pub.pem"

# release NAME ARGS...: publish into www/NAME
release() {
    local name=$1; shift
    mkdir -p "$T/www/$name"
    $OTA release "$T/www/$name" --key "$K/test_p256.pem" "$@" >"$T/release.out" 2>&1 || cat "$T/release.out"
}
new_device() {  # NAME: v1 in ota_0, booted
    rm -f "$T/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "$T/v1.bin" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null
}
# run_dev NAME RELEASE [ARGS...]: ota run --manifest, output in $T/run.out, status in RC
run_dev() {
    local dev=$1 rel=$2; shift 2
    $OTA run "$T/$dev.img" --manifest "$URL/$rel/manifest.json" --manifest-pub "$PUB" --retry-backoff 10 "$@" \
        >"$T/run.out" 2>&1
    RC=$?
}
# expect_run NAME STATUS PATTERN: the last run ended with STATUS and logged PATTERN
expect_run() {
    if [ "$RC" -ne "$2" ]; then fail "$1 (exit $RC, wanted $2)" "$T/run.out"; return; fi
    if ! grep -Eq -- "$3" "$T/run.out"; then fail "$1 (output lacks /$3/)" "$T/run.out"; return; fi
    pass "$1"
}
# boots NAME PROJECT: the device's next boot runs PROJECT from ota_0 or ota_1
boots() {
    if $OTA boot "$T/$1.img" >"$T/boot.out" 2>&1 && grep -q "Project name: *$2" "$T/boot.out"; then
        pass "  $1 still boots $2"
    else
        fail "  $1 should boot $2" "$T/boot.out"
    fi
}

release good --image "$T/v2.bin" --previous "$T/v1.bin" --serial 5
new_device a
run_dev a good
expect_run "patch for the running app installed" 0 "action=patch patch_bytes=[1-9]"
boots a lamp
grep -q "v2.0.0" "$T/boot.out" && pass "  runs v2.0.0" || fail "  runs v2.0.0" "$T/boot.out"
expect_ok "  the accepted serial is kept beside the device" grep -q "CONFIG_MANIFEST_SERIAL=5" "$T/a.img.manifest"
run_dev a good
expect_run "up to date: its own exit status, nothing written" 4 "action=up to date"
grep -q " 0 page programs" "$T/run.out" && pass "  no flash program" || fail "  no flash program" "$T/run.out"

# Refusals: each with its own error; the device keeps running v1.
cp -r "$T/www/good" "$T/www/tampered"
sed -i 's/"rollout_percent": 100/"rollout_percent": 99/' "$T/www/tampered/manifest.json"
new_device b
run_dev b tampered
expect_run "a tampered manifest is refused" 1 "OTA_ERR_MANIFEST_SIGNATURE"
boots b "lamp"
grep -q "v1.0.0" "$T/boot.out" && pass "  still v1.0.0" || fail "  still v1.0.0" "$T/boot.out"

mkdir -p "$T/www/otherkey"
$OTA release "$T/www/otherkey" --key "$K/test_rsa3072.pem" --image "$T/v2.bin" >/dev/null
run_dev b otherkey
expect_run "a manifest signed by another key is refused" 1 "OTA_ERR_MANIFEST_SIGNATURE.*|signature refused: .*not the trusted key"
grep -q "OTA_ERR_MANIFEST_SIGNATURE" "$T/run.out" && pass "  as MANIFEST_SIGNATURE" || fail "  as MANIFEST_SIGNATURE" "$T/run.out"

rm -f "$T/www/tampered/manifest.json.sig"
run_dev b tampered
expect_run "a manifest without its signature is refused" 1 "OTA_ERR_MANIFEST_SIGNATURE"

release old --image "$T/v3.bin" --previous "$T/v1.bin" --serial 4
run_dev a old
expect_run "an older serial (a replayed manifest) is refused" 1 "OTA_ERR_MANIFEST_REPLAY"
boots a lamp
grep -q "v2.0.0" "$T/boot.out" && pass "  still v2.0.0" || fail "  still v2.0.0" "$T/boot.out"

release pump --image "$T/other.bin" --previous "$T/v1.bin"
run_dev b pump
expect_run "a release of another project is refused" 1 "OTA_ERR_MANIFEST_PROJECT"
release s3 --image "$T/s3.bin"
run_dev b s3
expect_run "a release for another chip is refused" 1 "OTA_ERR_MANIFEST_CHIP"
boots b lamp

# The patch the server holds is not the one the manifest signed (a valid
# patch of the same pair in the other format): refused before otadata changes.
release badpatch --image "$T/v3.bin" --previous "$T/v1.bin"
p=$(cd "$T/www/badpatch" && ls patch-*)
$OTA delta make "$T/v1.bin" "$T/v3.bin" "$T/www/badpatch/$p" --format esp >/dev/null
run_dev b badpatch
expect_run "a patch whose SHA-256 differs from the manifest's is refused" 1 "OTA_ERR_MANIFEST_PATCH_DIGEST"
boots b lamp
grep -q "v1.0.0" "$T/boot.out" && pass "  still v1.0.0" || fail "  still v1.0.0" "$T/boot.out"

# The patch is missing: the full image, with every check.
release nopatch --image "$T/v3.bin" --previous "$T/v1.bin"
rm -f "$T/www/nopatch"/patch-*
run_dev b nopatch
expect_run "a missing patch falls back to the full image" 0 "action=full image \(patch missing\)"
boots b lamp
grep -q "v3.0.0" "$T/boot.out" && pass "  runs v3.0.0" || fail "  runs v3.0.0" "$T/boot.out"

# Staged rollout: 0 % holds every device back (a success that installs nothing).
release staged --image "$T/v3.bin" --previous "$T/v1.bin" --rollout 0
new_device c
run_dev c staged
expect_run "rollout 0%: held back, its own exit status" 4 "action=held back"
release staged --image "$T/v3.bin" --previous "$T/v1.bin" --rollout 100
expect_ok "  republished with the next serial" grep -q '"serial": 2' "$T/www/staged/manifest.json"
run_dev c staged
expect_run "rollout 100%: installed" 0 "action=patch"
finish
