#!/usr/bin/env bash
# The smallest path per device (docs/manifest.md, format 2), served by
# nginx: a device takes the smallest item it can apply and falls back in
# size order: its patch missing (404) -> the compressed image -> a
# compressed image that does not decode -> the full image; a patch made
# for another base -> the next item; a device whose app is no listed base
# takes the compressed image. Old devices that read format 1 only update
# from the same tree, and a tree without format 2 is read as format 1; a
# format 2 manifest that fails its signature is refused, never passed
# over. --encrypt-to encrypts every item; a device without the key is
# told no item fits it; one with the key takes the encrypted patch, the
# encrypted compressed image when the patch is missing or altered.
# Power cuts during a fallback.
# Usage: test_release_items.sh OTA KEYDIR
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

# c1: an app whose code is a repeating pattern (it compresses well); c2 a
# later build of it (a few bytes changed: its patch is tiny); c0 another
# build, the app of a device that was reflashed.
$OTA image make "$T/c1.bin" --project lamp --version v1.0.0 --size 300000 >/dev/null
python3 - "$T/c1.bin" <<'PY'
import hashlib, struct, sys
img = bytearray(open(sys.argv[1], "rb").read())
pos, segs = 24, []
for _ in range(img[1]):
    length = struct.unpack_from("<I", img, pos + 4)[0]
    segs.append((pos + 8, length))
    pos += 8 + length
for s, n in segs:  # past the descriptor: a pattern with some noise
    for i in range(max(s, segs[0][0] + 512), s + n):
        img[i] = ((i // 7) & 0x0F) ^ (hashlib.sha256(i.to_bytes(4, "little")).digest()[0] & 0x30)
check = 0xEF
for s, n in segs:
    for b in img[s:s + n]:
        check ^= b
end = (pos + 1 + 15) // 16 * 16
img[end - 1] = check
img[end:end + 32] = hashlib.sha256(bytes(img[:end])).digest()
open(sys.argv[1], "wb").write(bytes(img))
PY
python3 "$HERE/app_variant.py" "$T/c1.bin" "$T/c2.bin" v2.0.0 1
python3 "$HERE/app_variant.py" "$T/c1.bin" "$T/c0.bin" v0.9.0 3
start_nginx "$T/www"
URL="http://127.0.0.1:$NGINX_PORT"
PUB="$K/test_p256_pub.pem"

release() {  # NAME ARGS...: publish into www/NAME
    local name=$1; shift
    mkdir -p "$T/www/$name"
    $OTA release "$T/www/$name" --key "$K/test_p256.pem" "$@" >"$T/release.out" 2>&1 || cat "$T/release.out"
}
new_device() {  # NAME [APP]: APP (c1) in ota_0, booted
    rm -f "$T/$1".*
    $OTA flash create "$T/$1.img" --table "$T/partitions.csv" >/dev/null
    $OTA flash write "$T/$1.img" ota_0 "${2:-$T/c1.bin}" >/dev/null
    $OTA boot "$T/$1.img" >/dev/null 2>&1
}
run_dev() {  # NAME RELEASE [ARGS...]: output in $T/run.out, --json in $T/run.json, status in RC
    local dev=$1 rel=$2; shift 2
    $OTA -v run "$T/$dev.img" --manifest "$URL/$rel/manifest.json" --manifest-pub "$PUB" --retry-backoff 10 \
        --json "$@" >"$T/run.json" 2>"$T/run.out"
    RC=$?
}
expect_run() {  # NAME STATUS PATTERN
    if [ "$RC" -ne "$2" ]; then fail "$1 (exit $RC, wanted $2)" "$T/run.out"; return; fi
    if ! grep -Eq -- "$3" "$T/run.out"; then fail "$1 (output lacks /$3/)" "$T/run.out"; return; fi
    pass "$1"
}
jcheck() {  # NAME PYTHON-EXPRESSION over d, the run's --json document
    if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$T/run.json" \
        2>/dev/null; then pass "$1"; else fail "$1" "$T/run.json"; fi
}
runs() {  # NAME VERSION: the device's next boot runs VERSION
    if $OTA boot "$T/$1.img" >"$T/boot.out" 2>&1 && grep -q "Project name: *lamp" "$T/boot.out" &&
        grep -q "$2" "$T/boot.out"; then
        pass "  $1 boots $2"
    else
        fail "  $1 should boot $2" "$T/boot.out"
    fi
}

release r --image "$T/c2.bin" --previous "$T/c1.bin" --previous "$T/c0.bin" --serial 3
C1=$(python3 -c "import sys; print(open(sys.argv[1], 'rb').read()[-32:-24].hex())" "$T/c1.bin")
P1=$(cd "$T/www/r" && ls patch-"$C1"-*)  # the patch for c1
CZ=$(cd "$T/www/r" && ls app-*.cz)
BIN=$(cd "$T/www/r" && ls app-*.bin)
if python3 - "$T/www/r" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m2 = json.load(open(os.path.join(d, "manifest.json.v2")))
sizes = [i["size"] for i in m2["items"]]
kinds = [i["kind"] for i in m2["items"]]
ok = m2["format"] == 2 and sizes == sorted(sizes) and kinds.count("plain") == 1 and kinds.count("compressed") == 1
ok = ok and kinds.count("patch") == 2 and m2["app_size"] == os.path.getsize(os.path.join(d, [i["uri"] for i in m2["items"] if i["kind"] == "plain"][0]))
for i in m2["items"]:
    body = open(os.path.join(d, i["uri"]), "rb").read()
    ok = ok and i["size"] == len(body) and i["sha256"] == hashlib.sha256(body).hexdigest() and i["encrypted"] is False
m1 = json.load(open(os.path.join(d, "manifest.json")))
ok = ok and list(m1) == ["format", "project", "version", "secure_version", "chip", "serial", "rollout_percent",
                         "app_sha256", "image", "patches"] and m1["format"] == 1 and m1["serial"] == m2["serial"]
sys.exit(0 if ok and sizes[0] < sizes[-1] else 1)
PY
then pass "ota release: manifest.json.v2 lists every item smallest first with its size and SHA-256; manifest.json stays format 1"
else fail "ota release: the manifests" "$T/www/r/manifest.json.v2"; fi
[ -f "$T/www/r/manifest.json.v2.sig" ] && [ "$(stat -c %s "$T/www/r/manifest.json.v2.sig")" = 4096 ] &&
    pass "  format 2 has its own signature" || fail "  format 2 has its own signature"
$OTA delta info "$T/www/r/$P1" >"$T/info.out" 2>&1 && grep -q "relocations: predicted" "$T/info.out" &&
    pass "  its compact patches predict relocations (ota delta info)" || fail "  its patches predict relocations" "$T/info.out"
release norel --image "$T/c2.bin" --previous "$T/c1.bin" --serial 3 --no-reloc
$OTA delta info "$T/www/norel/$P1" --json >"$T/info.out" 2>&1 &&
    python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))['relocations'] is False else 1)" "$T/info.out" &&
    pass "ota release --no-reloc: patches without relocations" || fail "ota release --no-reloc" "$T/info.out"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); s=[i['size'] for i in m['items']]; k=[i['kind'] for i in m['items']]; sys.exit(0 if k.index('patch') < k.index('compressed') < k.index('plain') else 1)" \
    "$T/www/r/manifest.json.v2" && pass "  this pair: patch < compressed < plain" ||
    fail "  this pair: patch < compressed < plain" "$T/www/r/manifest.json.v2"

# ---- the smallest item ------------------------------------------------------
new_device a
run_dev a r
expect_run "the patch, the smallest item, installs" 0 "format=2 .*action=patch .*installed=patch-.*failed=\[\]"
jcheck "  --json names it and no failure" "d['release']['installed']['kind'] == 'patch' and d['release']['failed'] == [] and d['release']['manifest_format'] == 2"
runs a v2.0.0

# ---- the patch is missing: the compressed image ------------------------------
cp -r "$T/www/r" "$T/www/nopatch"
rm -f "$T/www/nopatch"/patch-*
new_device b
run_dev b nopatch
expect_run "the patch is missing (404): the compressed image is taken" 0 \
    "the patch $P1 failed \(.*HTTP.*\): taking the compressed image $CZ"
expect_run "  the outcome names the one installed and the one that failed" 0 \
    "action=compressed image \(fell back\) .*installed=$CZ failed=\[patch $P1: OTA_ERR_HTTP_STATUS"
jcheck "  --json: installed the compressed image; failed: the patch, HTTP" "d['release']['installed']['uri'] == '$CZ' and [f['kind'] for f in d['release']['failed']] == ['patch'] and d['release']['failed'][0]['error']['name'] == 'OTA_ERR_HTTP_STATUS'"
runs b v2.0.0

# ---- ... and the compressed image does not decode: the full image -----------------
cp "$T/www/nopatch/$CZ" "$T/cz.keep"
python3 - "$T/www/nopatch/$CZ" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for at in range(len(b) // 3, len(b) // 3 + 64):
    b[at] ^= 0x5A
open(p, "wb").write(bytes(b))
PY
new_device c
run_dev c nopatch
expect_run "the patch missing, the compressed image corrupt: the full image" 0 \
    "the compressed image $CZ failed \(.*\): taking the full image $BIN"
jcheck "  --json: the full image installed after two failures, in size order" "d['release']['installed']['kind'] == 'full image' and [f['kind'] for f in d['release']['failed']] == ['patch', 'compressed image']"
runs c v2.0.0
rm -f "$T/www/nopatch/$CZ"
new_device c
run_dev c nopatch
expect_run "the patch and the compressed image missing: the full image" 0 \
    "installed=$BIN failed=\[patch .*HTTP_STATUS.*; compressed image .*HTTP_STATUS"
runs c v2.0.0

# ---- another base ---------------------------------------------------------------
# The server's patch for c1 names c0 as its base (a mix-up after a
# reflash; the patch's header says so): the applier refuses it before
# writing, and the next item is taken.
cp -r "$T/www/r" "$T/www/mixup"
python3 - "$T/www/mixup/$P1" "$T/c1.bin" "$T/c0.bin" <<'PY'
import sys
patch, c1, c0 = (bytearray(open(p, "rb").read()) for p in sys.argv[1:4])
at = patch.find(c1[-32:])
assert 0 <= at < 64, "the header names its base by the app's appended SHA-256"
patch[at:at + 32] = c0[-32:]
open(sys.argv[1], "wb").write(bytes(patch))
PY
new_device d
run_dev d mixup
expect_run "a patch made for another base: the next item (the compressed image)" 0 \
    "failed \(the patch is made for another base.*\): taking the compressed image"
jcheck "  --json: failed with OTA_ERR_DELTA_BASE" "d['release']['failed'][0]['error']['name'] == 'OTA_ERR_DELTA_BASE' and d['release']['installed']['kind'] == 'compressed image'"
runs d v2.0.0
# A device reflashed with an app the release has no patch for: the compressed image first.
$OTA image make "$T/other.bin" --project lamp --version v0.1.0 --size 200000 >/dev/null
new_device e "$T/other.bin"
run_dev e r
expect_run "a device whose app is no listed base: the compressed image, nothing failed" 0 \
    "action=compressed image .*installed=$CZ failed=\[\]"
runs e v2.0.0

# ---- old devices: format 1 --------------------------------------------------------
# A device that names the signature reads the manifest it names (format 1
# here), exactly as devices before format 2 do.
new_device f
run_dev f r --manifest-sig "$URL/r/manifest.json.sig"
expect_run "format 1 from the same tree (an old device's manifest.json): its patch" 0 "format=1 .*action=patch"
runs f v2.0.0
cp -r "$T/www/r" "$T/www/old"
rm -f "$T/www/old/manifest.json.v2" "$T/www/old/manifest.json.v2.sig"
new_device g
run_dev g old
expect_run "a tree without format 2 (404) is read as format 1" 0 "no .*manifest.json.v2 .*reading the format 1 manifest"
expect_run "  and installs" 0 "format=1 .*action=patch"
runs g v2.0.0
rm -f "$T/www/old"/patch-*
new_device g
run_dev g old
expect_run "  format 1 falls back too: its patch missing, the full image" 0 "format=1 .*action=full image \(fell back\)"

# ---- format 2 is signed: a bad signature is an attack, never passed over ------------
cp -r "$T/www/r" "$T/www/forged"
sed -i 's/"rollout_percent": 100/"rollout_percent": 99/' "$T/www/forged/manifest.json.v2"
new_device h
run_dev h forged
expect_run "a tampered format 2 manifest is refused (not read as format 1)" 1 "OTA_ERR_MANIFEST_SIGNATURE"
rm -f "$T/www/forged/manifest.json.v2.sig"
run_dev h forged
expect_run "a format 2 manifest without its signature is refused" 1 "OTA_ERR_MANIFEST_SIGNATURE"
grep -q "failed=\|taking the" "$T/run.out" && fail "  no item was tried" "$T/run.out" || pass "  no item was tried"
runs h v1.0.0

# ---- encrypted items --------------------------------------------------------------
release enc --image "$T/c2.bin" --previous "$T/c1.bin" --encrypt-to "$K/test_rsa3072_pub.pem"
if python3 - "$T/www/enc" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m2 = json.load(open(os.path.join(d, "manifest.json.v2")))
ok = len(m2["items"]) == 3 and sorted(i["kind"] for i in m2["items"]) == ["compressed", "patch", "plain"]
for i in m2["items"]:
    body = open(os.path.join(d, i["uri"]), "rb").read()
    ok = ok and i["encrypted"] is True and i["uri"].endswith(".enc") and i["sha256"] == hashlib.sha256(body).hexdigest()
    ok = ok and i["size"] == len(body) and body[0] != 0xE9
m1 = json.load(open(os.path.join(d, "manifest.json")))
ok = ok and m1["patches"] == [] and m1["image"]["uri"].endswith(".enc")
ok = ok and not [f for f in os.listdir(d) if f.endswith((".bin", ".cz", ".compact"))]
sys.exit(0 if ok else 1)
PY
then pass "ota release --encrypt-to: every item encrypted, the manifest signs each ciphertext; format 1 lists the image only"
else fail "ota release --encrypt-to: the items" "$T/www/enc/manifest.json.v2"; ls "$T/www/enc"; fi
new_device k
run_dev k enc
expect_run "a device without a decryption key: no item fits it, named" 1 "OTA_ERR_MANIFEST_NO_ITEM"
runs k v1.0.0
run_dev k enc --decrypt-key "$K/test_rsa3072.pem"
expect_run "with its key: an encrypted item installs" 0 "format=2 .*installed=[^ ]*\.enc"
jcheck "  --json: the item installed is encrypted" "d['release']['installed']['encrypted'] is True"
runs k v2.0.0
ENC_P=$(cd "$T/www/enc" && ls patch-*.enc)
ENC_CZ=$(python3 -c "import json,sys; print([i['uri'] for i in json.load(open(sys.argv[1]))['items'] if i['kind'] == 'compressed'][0])" "$T/www/enc/manifest.json.v2")
size_of() { stat -c %s "$T/www/enc/$1"; }
jcheck "  the encrypted patch, decrypted and applied: only its bytes crossed the wire" "d['release']['installed']['kind'] == 'patch' and d['release']['installed']['uri'] == '$ENC_P' and d['release']['failed'] == [] and d['release']['patch_bytes'] == $(size_of "$ENC_P") and d['bytes_received'] < $(size_of "$ENC_P") + 16384"
# Its patch missing: the encrypted compressed image.
cp -r "$T/www/enc" "$T/www/encnopatch"
rm -f "$T/www/encnopatch"/patch-*
new_device k
run_dev k encnopatch --decrypt-key "$K/test_rsa3072.pem"
expect_run "the encrypted patch missing: the encrypted compressed image" 0 "installed=$ENC_CZ failed=\[patch $ENC_P: OTA_ERR_HTTP_STATUS"
jcheck "  --json: the compressed image, encrypted, fewer bytes than the full image" "d['release']['installed']['kind'] == 'compressed image' and d['release']['installed']['encrypted'] is True and d['release']['patch_bytes'] == $(size_of "$ENC_CZ") and d['bytes_received'] < $(size_of "$ENC_CZ") + 16384"
runs k v2.0.0
# An encrypted patch altered on the server (same size): its ciphertext is
# not the one the manifest signed, and the next item is taken.
cp -r "$T/www/enc" "$T/www/enctamper"
python3 - "$T/www/enctamper/$ENC_P" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-40] ^= 0x01
open(sys.argv[1], "wb").write(bytes(b))
PY
new_device k
run_dev k enctamper --decrypt-key "$K/test_rsa3072.pem"
expect_run "an altered encrypted patch: the next item (the encrypted compressed image)" 0 "the patch $ENC_P failed \(.*\): taking the compressed image $ENC_CZ"
jcheck "  --json: the patch failed its signed SHA-256, the compressed image installed" "[f['kind'] for f in d['release']['failed']] == ['patch'] and d['release']['failed'][0]['error']['name'] == 'OTA_ERR_MANIFEST_PATCH_DIGEST' and d['release']['installed']['uri'] == '$ENC_CZ'"
runs k v2.0.0
# Altered in its wrapped key: refused as it starts, and the next item is taken.
cp "$T/www/enc/$ENC_P" "$T/www/enctamper/$ENC_P"
python3 - "$T/www/enctamper/$ENC_P" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[100] ^= 0x01
open(sys.argv[1], "wb").write(bytes(b))
PY
new_device k
run_dev k enctamper --decrypt-key "$K/test_rsa3072.pem"
expect_run "an encrypted patch whose key does not open: the next item" 0 "the patch $ENC_P failed \(.*\): taking the compressed image $ENC_CZ"
jcheck "  --json: the patch failed decrypting" "d['release']['failed'][0]['error']['name'].startswith('OTA_ERR_DECRYPT') and d['release']['installed']['uri'] == '$ENC_CZ'"
runs k v2.0.0
new_device k
run_dev k enc --decrypt-key "$K/test_rsa3072.pem" --manifest-sig "$URL/enc/manifest.json.sig"
expect_run "  an old device with its key: the encrypted full image from format 1" 0 "format=1 .*action=full image"
runs k v2.0.0

# ---- power cuts during a fallback --------------------------------------------------
# The patch is missing; the compressed image is being written when the
# power goes: the device boots its app, and the next run installs.
cp -r "$T/www/r" "$T/www/cut"
rm -f "$T/www/cut"/patch-*
for at in 1 3 30; do
    new_device m
    run_dev m cut --power-cut-at "$at"
    expect_run "a power cut at flash operation $at of the fallback" 3 "power cut"
    runs m v1.0.0
    run_dev m cut
    expect_run "  the next run falls back again and installs" 0 "installed=$CZ"
    runs m v2.0.0
done

# ---- a resumed full image that is not the signed one is never resumed again ----------
# A corrupted copy of the full image (same size and date: the same
# validator, so If-Range lets the device resume it) is being written when
# the power goes; the server then serves the right file. The resumed image
# is refused (its bytes before the cut are wrong), and the next run must
# start afresh instead of resuming onto those bytes at every run.
cp -r "$T/www/r" "$T/www/stuck"
rm -f "$T/www/stuck"/patch-* "$T/www/stuck"/*.cz
cp -p "$T/www/stuck/$BIN" "$T/good.bin"
python3 - "$T/www/stuck/$BIN" <<'PY2'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[12288:12288 + 64] = bytes(x ^ 0x5A for x in b[12288:12288 + 64])
open(sys.argv[1], "wb").write(bytes(b))
PY2
touch -r "$T/good.bin" "$T/www/stuck/$BIN"
new_device n
run_dev n stuck --power-cut-at 200
expect_run "a power cut while a corrupted full image is written" 3 "power cut"
cp -p "$T/good.bin" "$T/www/stuck/$BIN"
run_dev n stuck
expect_run "  resumed onto the corrupted bytes: refused" 1 "resuming the interrupted transfer.*OTA_ERR_MANIFEST_IMAGE_DIGEST|OTA_ERR_MANIFEST_IMAGE_DIGEST"
runs n v1.0.0
run_dev n stuck
expect_run "  the next run starts afresh (no resume onto refused bytes) and installs" 0 "installed=$BIN"
grep -q "resuming the interrupted transfer" "$T/run.out" && fail "  it did not resume" "$T/run.out" || pass "  it did not resume"
runs n v2.0.0
# ---- a release's patch resumes at its last checkpoint after kill -9 ---------------
# A big release whose second half is new code: its compact patch (the
# smallest item) has sync points every 256 KiB of image. The process is
# killed while it waits to reconnect after the patch's connection dropped;
# the next run asks nginx for the rest from the checkpoint's patch offset:
# nginx's log shows at most the remainder plus one checkpoint interval.
$OTA image make "$T/b1.bin" --project lamp --version v1.0.0 --size 1000000 >/dev/null
python3 - "$T/b1.bin" "$T/b2pre.bin" <<'PY'
import hashlib, os, struct, sys
img = bytearray(open(sys.argv[1], "rb").read())
pos, segs = 24, []
for _ in range(img[1]):
    length = struct.unpack_from("<I", img, pos + 4)[0]
    segs.append((pos + 8, length))
    pos += 8 + length
for s, n in segs:  # the second half of the payload rewritten
    lo = max(s, len(img) // 2)
    if lo < s + n:
        img[lo:s + n] = os.urandom(s + n - lo)
check = 0xEF
for s, n in segs:
    for b in img[s:s + n]:
        check ^= b
end = (pos + 1 + 15) // 16 * 16
img[end - 1] = check
img[end:end + 32] = hashlib.sha256(bytes(img[:end])).digest()
open(sys.argv[2], "wb").write(bytes(img))
PY
python3 "$HERE/app_variant.py" "$T/b2pre.bin" "$T/b2.bin" v2.0.0 5
release big --image "$T/b2.bin" --previous "$T/b1.bin" --serial 9
BP=$(cd "$T/www/big" && ls patch-*)
bpsize=$(stat -c %s "$T/www/big/$BP")
binterval=$($OTA delta apply "$T/b1.bin" "$T/www/big/$BP" "$T/b2.out" --chunk 1 --json |
    python3 -c 'import json, sys; r = json.load(sys.stdin); o = [84] + [c["patch_offset"] for c in r["checkpoints"]]
print(max(b - a for a, b in zip(o, o[1:] + [int(sys.argv[1])])))' "$bpsize")
new_device k "$T/b1.bin"
start_cut_proxy "$NGINX_PORT" $((bpsize * 3 / 4)) "$BP"
PURL="http://127.0.0.1:$PROXY_PORT/big/manifest.json"
killed_while_reconnecting "$T/first" $OTA -v run "$T/k.img" --manifest "$PURL" --manifest-pub "$PUB" --retry-backoff 60000
runs k v1.0.0
$OTA -v run "$T/k.img" --manifest "$PURL" --manifest-pub "$PUB" --json >"$T/run.json" 2>"$T/run.out"
RC=$?
stop_cut_proxy
expect_run "after kill -9 the release's patch resumes at its checkpoint" 0 "$BP: resuming the compact patch at its checkpoint: patch byte"
expect_run "  ... and installs" 0 "installed=$BP failed=\[\]"
sent=$(awk '{print $10}' "$T/nginx/logs/access.log" | tail -1)
rest=$((bpsize - ${got1:-0}))
if tail -1 "$T/nginx/logs/access.log" | grep -q "$BP HTTP/1.1\" 206 " && [ -n "$got1" ] &&
    [ "$sent" -le $((rest + binterval)) ]; then
    pass "  nginx sent $sent bytes after the kill: remainder $rest + interval $binterval"
else fail "  nginx sent $sent bytes after the kill (remainder $rest + interval $binterval)" "$T/nginx/logs/access.log"; fi
runs k v2.0.0
finish
