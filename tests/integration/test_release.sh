#!/usr/bin/env bash
# Releases through a signed manifest, served by nginx: a patch for the
# running app, up to date, and every refusal with its own error while the
# running app still boots (a tampered manifest, another key, an older
# serial, another project or chip, a patch that is not the signed one), and
# a missing patch that falls back to the full image; the release record
# (replay protection, symlinks, damage, power cuts), empty project names
# (ESP-ADF's korvo firmware), a trial boot that rolls back, presigned
# manifest URIs, and what `ota release` refuses.
# Usage: test_release.sh OTA KEYDIR [VECTORS]
set -u
OTA=$1
K=$2
V=${3:-}
T=$(mktemp -d)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT
cp "$HERE/../../examples/ota_example/partitions.csv" "$T/partitions.csv"
mkdir -p "$T/www"
# v2 and v3 are later builds of v1 (a few bytes changed): patches pay off
$OTA image make "$T/v1.bin" --project lamp --version v1.0.0 --size 300000 >/dev/null
python3 "$HERE/app_variant.py" "$T/v1.bin" "$T/v2.bin" v2.0.0 1
python3 "$HERE/app_variant.py" "$T/v1.bin" "$T/v3.bin" v3.0.0 2
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
    $OTA -v run "$T/$dev.img" --manifest "$URL/$rel/manifest.json" --manifest-pub "$PUB" --retry-backoff 10 "$@" \
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
sed -i 's/"rollout_percent": 100/"rollout_percent": 99/' "$T/www/tampered/manifest.json" "$T/www/tampered/manifest.json.v2"
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

rm -f "$T/www/tampered/manifest.json.sig" "$T/www/tampered/manifest.json.v2.sig"
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
# patch of the same pair in the other format): refused before otadata
# changes, and the next item in size order (the full image) is taken.
release badpatch --image "$T/v3.bin" --previous "$T/v1.bin"
p=$(cd "$T/www/badpatch" && ls patch-*)
$OTA delta make "$T/v1.bin" "$T/v3.bin" "$T/www/badpatch/$p" --format esp >/dev/null
new_device bp
run_dev bp badpatch
expect_run "a patch whose SHA-256 differs from the manifest's is refused: the full image is taken" 0 \
    "failed=\[patch $p: OTA_ERR_MANIFEST_PATCH_DIGEST"
grep -q "the patch $p failed (the patch's size or SHA-256 differs.*): taking the full image" "$T/run.out" &&
    pass "  a log line names why" || fail "  a log line names why" "$T/run.out"
boots bp lamp
grep -q "v3.0.0" "$T/boot.out" && pass "  runs v3.0.0" || fail "  runs v3.0.0" "$T/boot.out"

# The patch is missing: the full image, with every check.
release nopatch --image "$T/v3.bin" --previous "$T/v1.bin"
rm -f "$T/www/nopatch"/patch-*
run_dev b nopatch
expect_run "a missing patch falls back to the full image" 0 "action=full image \(fell back\).*failed=\[patch patch-"
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

# A release unrelated to the running one but compressible: the compressed
# image is smaller than the patch, so it takes the patch's place for v1.
$OTA image make "$T/v4.bin" --project lamp --version v4.0.0 --size 300000 >/dev/null
python3 - "$T/v4.bin" <<'PY'
import hashlib, struct, sys
img = bytearray(open(sys.argv[1], "rb").read())
pos, segs = 24, []
for _ in range(img[1]):
    length = struct.unpack_from("<I", img, pos + 4)[0]
    segs.append((pos + 8, length))
    pos += 8 + length
start, length = segs[0]
for i in range(start + 512, start + length):  # past the descriptor: a repeating pattern
    img[i] = (i // 7) & 0x0F
check = 0xEF
for s, n in segs:
    for b in img[s:s + n]:
        check ^= b
end = (pos + 1 + 15) // 16 * 16
img[end - 1] = check
img[end:end + 32] = hashlib.sha256(bytes(img[:end])).digest()
open(sys.argv[1], "wb").write(bytes(img))
PY
release squeeze --image "$T/v4.bin" --previous "$T/v1.bin" --serial 6
if grep -q "compressed image is smaller than the patch" "$T/release.out" &&
    grep -q '"uri": "app-[0-9a-f]*\.cz"' "$T/www/squeeze/manifest.json"; then
    pass "ota release: the compressed image takes the place of a larger patch"
else fail "ota release: the compressed image takes the place of a larger patch" "$T/release.out"; fi
new_device cz
run_dev cz squeeze --manifest-sig "$URL/squeeze/manifest.json.sig"
expect_run "format 1: the compressed image installs through the patch path" 0 "format=1 .*action=patch patch_bytes=[1-9]"
boots cz lamp
grep -q "v4.0.0" "$T/boot.out" && pass "  runs v4.0.0" || fail "  runs v4.0.0" "$T/boot.out"
new_device cz
run_dev cz squeeze
expect_run "format 2: the compressed image is the smallest item" 0 "format=2 .*action=compressed image patch_bytes=[1-9]"
boots cz lamp

# ---- the release record: one per device, read strictly -----------------
# A symlink to the device reaches the same record: the older serial is refused.
ln -sf "$T/a.img" "$T/a-link.img"
$OTA -v run "$T/a-link.img" --manifest "$URL/old/manifest.json" --manifest-pub "$PUB" --retry-backoff 10 \
    >"$T/run.out" 2>&1
RC=$?
expect_run "a symlink to the device reaches its record: the older serial is refused" 1 "OTA_ERR_MANIFEST_REPLAY"
[ -e "$T/a-link.img.manifest" ] && fail "  no second record beside the link" || pass "  no second record beside the link"
cp "$T/a.img.manifest" "$T/a.rec.bak"
for damage in empty cut dup big; do
    case $damage in
    empty) : >"$T/a.img.manifest" ;;
    cut) head -c 40 "$T/a.rec.bak" >"$T/a.img.manifest" ;;
    dup) { cat "$T/a.rec.bak"; echo "CONFIG_MANIFEST_SERIAL=1"; } >"$T/a.img.manifest" ;;
    big) { cat "$T/a.rec.bak"; head -c 2000 /dev/zero | tr '\0' '#'; echo; } >"$T/a.img.manifest" ;;
    esac
    run_dev a old
    expect_run "a $damage release record stops the install (never serial 0)" 1 "OTA_ERR_RELEASE_RECORD"
    boots a lamp
done
cp "$T/a.rec.bak" "$T/a.img.manifest"

# A power cut during the install: the serial was kept before the first
# flash write, so the older release stays refused after power returns.
release cut --image "$T/v3.bin" --previous "$T/v1.bin" --serial 9
for at in 1 2 5 40; do  # the first erase, the first program, and later in the install
    new_device d
    run_dev d cut --power-cut-at $at
    expect_run "a power cut at flash operation $at of the install" 3 "power cut"
    expect_ok "  the accepted serial survived it" grep -q "CONFIG_MANIFEST_SERIAL=9" "$T/d.img.manifest"
    boots d lamp
done
run_dev d old
expect_run "  after power returns, the older serial is refused" 1 "OTA_ERR_MANIFEST_REPLAY"
run_dev d cut
expect_run "  the same release installs on the next run" 0 "action=patch"

# ---- project names: an empty one matches nothing --------------------------
pub_rc() { $OTA release "$@" >"$T/pub.out" 2>&1; echo $?; }
run_dev b good --project ""
expect_run "--project \"\" is bad usage" 2 "project"
if [ -n "$V" ] && [ -f "$V/delta/korvo-d2d8d982.bin" ]; then
    printf 'nvs,data,nvs,,0x4000,\notadata,data,ota,,0x2000,\nphy_init,data,phy,,0x1000,\nota_0,app,ota_0,,0x280000,\nota_1,app,ota_1,,0x280000,\n' \
        >"$T/big.csv"
    $OTA flash create "$T/k.img" --table "$T/big.csv" --size 8MB >/dev/null
    $OTA flash write "$T/k.img" ota_0 "$V/delta/korvo-d2d8d982.bin" >/dev/null
    $OTA boot "$T/k.img" >/dev/null
    mkdir -p "$T/www/korvo"
    [ "$(pub_rc "$T/www/korvo0" --key "$K/test_p256.pem" --image "$V/delta/korvo-32641331.bin")" = 2 ] &&
        grep -q "no project name" "$T/pub.out" && pass "ota release: an image without a project name needs --project" ||
        fail "ota release: an image without a project name needs --project" "$T/pub.out"
    pub_rc "$T/www/korvo" --key "$K/test_p256.pem" --image "$V/delta/korvo-b7855e8e.bin" >/dev/null
    run_dev k korvo
    expect_run "a device whose app has no project name takes no release" 1 "OTA_ERR_MANIFEST_PROJECT"
    boots k ""
    run_dev k korvo --project korvo_du1906
    expect_run "  unless the integrator names the project (--project)" 0 "action=(compressed|full) image"
    printf 'CONFIG_OTA_RELEASE_PROJECT="korvo_du1906"\n' >"$T/korvo.cfg"
    run_dev k korvo --config "$T/korvo.cfg"
    expect_run "  or CONFIG_OTA_RELEASE_PROJECT" 4 "action=up to date"
else
    skip "korvo vectors absent"
fi

# ---- a failed trial boot is an outcome ------------------------------------
new_device r
$OTA -v run "$T/r.img" --manifest "$URL/good/manifest.json" --manifest-pub "$PUB" --retry-backoff 10 \
    --rollback --self-test fail --json >"$T/run.json" 2>"$T/run.out"
RC=$?
expect_run "the release's app fails its self-test: rolled back, exit 1" 1 "rolled back: self-test failed: release serial 5"
expect_ok "  --json says so" grep -q '"outcome": *"rolled back: self-test failed"' "$T/run.json"
boots r lamp
grep -q "v1.0.0" "$T/boot.out" && pass "  still v1.0.0" || fail "  still v1.0.0" "$T/boot.out"
run_dev r good --rollback
expect_run "the next check skips it without downloading" 4 "action=skipped: this release rolled back on this device"
grep -q " 0 page programs" "$T/run.out" && pass "  no flash program" || fail "  no flash program" "$T/run.out"
release good --image "$T/v2.bin" --previous "$T/v1.bin"
run_dev r good --rollback
expect_run "  a higher serial of the same image: still skipped" 4 "rolled back on this device"
release good --image "$T/v3.bin" --previous "$T/v1.bin"
run_dev r good --rollback --self-test pass
expect_run "  a release of another image installs" 0 "action=patch"

# ---- presigned and long manifest URIs -------------------------------------
# nginx ignores the query: the presigned query stays on both URIs.
Q="X-Sig=$(head -c 3000 /dev/zero | tr '\0' 'q')/a%2Fb&X-Exp=1"
new_device p
$OTA -v run "$T/p.img" --manifest "$URL/good/manifest.json?$Q" --manifest-pub "$PUB" --retry-backoff 10 -v \
    >"$T/run.out" 2>&1
RC=$?
expect_run "a 3 KB presigned manifest URI: the signature from manifest.json.sig?query" 0 "action=patch"
mkdir -p "$T/www/sigs"
cp "$T/www/good/manifest.json.sig" "$T/www/sigs/elsewhere.sig"
rm -f "$T/www/good/manifest.json.sig.bak"
mv "$T/www/good/manifest.json.sig" "$T/www/good/manifest.json.sig.bak"
new_device p
run_dev p good --manifest-sig "$URL/sigs/elsewhere.sig?$Q"
expect_run "--manifest-sig names the signature" 0 "action=patch"
new_device p
printf 'CONFIG_OTA_MANIFEST_SIG_URI="%s"\n' "$URL/sigs/elsewhere.sig" >"$T/sig.cfg"
run_dev p good --config "$T/sig.cfg"
expect_run "  and so does CONFIG_OTA_MANIFEST_SIG_URI" 0 "action=patch"
mv "$T/www/good/manifest.json.sig.bak" "$T/www/good/manifest.json.sig"
$OTA -v run "$T/p.img" --app "$URL/good/app.bin" --manifest-sig "$URL/sigs/elsewhere.sig" >"$T/run.out" 2>&1
RC=$?
expect_run "--manifest-sig without --manifest is bad usage" 2 "give --manifest"
LONG="$URL/good/manifest.json?$(head -c 4200 /dev/zero | tr '\0' 'q')"
run_dev p good
$OTA -v run "$T/p.img" --manifest "$LONG" --manifest-pub "$PUB" >"$T/run.out" 2>&1
RC=$?
expect_run "a manifest URI over 4095 characters: too long, named as such" 1 "OTA_ERR_TOO_LONG|longer than"
grep -q "OTA_ERR_NO_MEM" "$T/run.out" && fail "  never NO_MEM" "$T/run.out" || pass "  never NO_MEM"

# ---- what ota release refuses ---------------------------------------------
[ "$(pub_rc "$T/www/good" --key "$K/test_p256.pem" --image "$T/v2.bin" --serial 2)" = 2 ] &&
    grep -q "not higher than" "$T/pub.out" && pass "ota release: a serial not higher than the tree's is refused" ||
    fail "ota release: a serial not higher than the tree's is refused" "$T/pub.out"
expect_ok "  the tree is unchanged" grep -q '"serial": 7' "$T/www/good/manifest.json"
[ "$(pub_rc "$T/www/good" --key "$K/test_p256.pem" --image "$T/v2.bin" --serial 2 --force)" = 0 ] &&
    grep -q "warning: --force.*refuse" "$T/pub.out" && pass "  --force publishes it, with a warning" ||
    fail "  --force publishes it, with a warning" "$T/pub.out"
for bad in -1 4294967296 99999999999999999999 1x ""; do
    [ "$(pub_rc "$T/www/neg" --key "$K/test_p256.pem" --image "$T/v2.bin" --serial "$bad")" = 2 ] &&
        grep -q -- "--serial $bad" "$T/pub.out" && pass "  --serial '$bad' is bad usage, named" ||
        fail "  --serial '$bad' is bad usage, named" "$T/pub.out"
done
mkdir -p "$T/www/junk"
echo '{"format": 1, "serial": ' >"$T/www/junk/manifest.json"
[ "$(pub_rc "$T/www/junk" --key "$K/test_p256.pem" --image "$T/v2.bin")" = 1 ] &&
    grep -q "not overwritten" "$T/pub.out" && pass "  a manifest.json it cannot parse is not overwritten" ||
    fail "  a manifest.json it cannot parse is not overwritten" "$T/pub.out"
expect_ok "  it is still there" grep -q '"serial": $' "$T/www/junk/manifest.json"
[ "$(pub_rc "$T/www/new/deep" --key "$K/test_p256.pem" --image "$T/v2.bin")" = 0 ] &&
    [ -f "$T/www/new/deep/manifest.json" ] && pass "  DIR is created when missing" ||
    fail "  DIR is created when missing" "$T/pub.out"
[ "$(pub_rc "$T/www/nopay" --key "$K/test_p256.pem" --image "$T/other.bin" --previous "$T/v1.bin")" = 0 ] &&
    grep -q "left out: .* not smaller than the image" "$T/pub.out" && ! ls "$T/www/nopay"/patch-* >/dev/null 2>&1 &&
    grep -q '"patches": \[\]' "$T/www/nopay/manifest.json" && pass "  a patch not smaller than the image is left out" ||
    fail "  a patch not smaller than the image is left out" "$T/pub.out"
finish
