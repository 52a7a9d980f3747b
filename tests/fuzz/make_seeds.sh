#!/usr/bin/env bash
# Seed corpora for the fuzz targets: Espressif's vectors (when present) and
# inputs the tool makes. Usage: make_seeds.sh OTA OUTDIR [VECTORS]
set -eu
OTA=$1 OUT=$2 VEC=${3:-}
rm -rf "$OUT"
for t in partition_bin partition_csv otadata image tone sdkconfig signature journal delta manifest manifest_sig \
    release_record cli_args efuse device running ddi esp_enc chunked compressed \
    idf_serial \
    ddi_session \
    manifest2 \
    app_decrypt \
    compress \
    ; do mkdir -p "$OUT/$t"; done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\nphy_init, data, phy, , 0x1000\nota_0, app, ota_0, , 1M\nota_1, app, ota_1, , 1M\nflash_tone, data, 0xff, , 1M\n' >"$OUT/partition_csv/seed.csv"
printf 'factory, app, factory, 0x10000, 1M, encrypted:readonly\nstore, data, spiffs, , 64K\n' >"$OUT/partition_csv/flags.csv"
$OTA partition make "$OUT/partition_csv/seed.csv" "$T/seed.bin" >/dev/null
{ printf '\x04'; cat "$T/seed.bin"; } >"$OUT/partition_bin/seed.bin"   # first byte: flash size in MiB
$OTA image make "$T/app.bin" --project p --version v1.2.3 --size 4096 >/dev/null
for k in rsa3072 p256; do
    $OTA image encrypt "$T/app.bin" "$T/app.$k.enc" --pub "$(dirname "$0")/../data/test_${k}_pub.pem" >/dev/null
    head -c 512 "$T/app.$k.enc" >"$OUT/esp_enc/ours_$k"
    $OTA image encrypt "$T/app.bin" "$T/app.$k.oce" --pub "$(dirname "$0")/../data/test_${k}_pub.pem" \
        --format chunked >/dev/null
    head -c 512 "$T/app.$k.oce" >"$OUT/chunked/ours_$k"
done
{ printf '\x0b\x00\x10\x3f'; cat "$T/app.bin"; } >"$OUT/image/app.bin"    # 4 option bytes, then the image
# app_decrypt: 4 control bytes (format and write sizes, one byte flipped or none), then a payload the
# target encrypts (an image, a compressed image), or an encrypted stream fed as it is (bit 1)
for c in '\x00\x00\x00\x00' '\x05\x00\x00\x00' '\x01\x10\x02\x01'; do
    { printf "$c"; cat "$T/app.bin"; } >"$OUT/app_decrypt/image_$(printf "$c" | od -An -tx1 | tr -d ' ')"
done
{ printf '\x03\x00\x00\x00'; cat "$T/app.p256.oce"; } >"$OUT/app_decrypt/stream_chunked"
{ printf '\x02\x00\x00\x00'; cat "$T/app.p256.enc"; } >"$OUT/app_decrypt/stream_esp"
# compressed: 1-byte chunk size + a compressed app image (small: each run decodes it whole)
$OTA image compress "$T/app.bin" "$T/app.cz" >/dev/null
{ printf '\x00'; cat "$T/app.cz"; } >"$OUT/compressed/small.bin"
# compress: 1 control byte (sync interval, code transform) + an image to compress and decode back
{ printf '\x00'; cat "$T/app.bin"; } >"$OUT/compress/app.bin"
{ printf '\x81'; cat "$T/app.bin"; } >"$OUT/compress/app_plain.bin"
{ printf '\x01\x00\x00\x00'; cat "$T/app.cz"; } >"$OUT/app_decrypt/compressed_chunked"
{ printf '\x00\x00\x00\x00'; cat "$T/app.cz"; } >"$OUT/app_decrypt/compressed_esp"
printf 'CONFIG_WIFI_SSID="my\\"ssid"\n# CONFIG_X is not set\nCONFIG_Y=y\n' >"$OUT/sdkconfig/seed"
printf '%s\0' IMG --ms 500ms --s=2m --s-ms 0.5 --bytes 4MiB --flash 0x400000 --count 0x10 --flag >"$OUT/cli_args/seed"
printf '\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x9a\x98\x43\x47' >"$OUT/otadata/seq1"
# host side files: what the tool writes for a device it made, booted and burned
$OTA flash create "$T/dev.img" --table "$OUT/partition_csv/seed.csv" --chip esp32c3 --chip-revision v0.4 --rollback >/dev/null
$OTA image make "$T/c3.bin" --chip esp32c3 --project p --version v1.2.3 --secure-version 7 --size 4096 >/dev/null
$OTA flash write "$T/dev.img" ota_0 "$T/c3.bin" >/dev/null
$OTA boot "$T/dev.img" >/dev/null 2>&1    # records the running app, raises the counter to 7
$OTA efuse "$T/dev.img" --burn-key-digest "$(printf '5a%.0s' $(seq 32))" >/dev/null
cp "$T/dev.img.efuse" "$OUT/efuse/seed"
cp "$T/dev.img.device" "$OUT/device/seed"
cp "$T/dev.img.running" "$OUT/running/seed"
head -c 700 /dev/zero | tr '\0' 'a' >"$T/a.mp3"
$OTA tone make "$OUT/tone/f0.bin" "$T/a.mp3" "$T/a.mp3" >/dev/null
$OTA tone make "$OUT/tone/f1.bin" "$T/a.mp3" --format 1 >/dev/null
if [ -n "$VEC" ] && [ -d "$VEC" ]; then
    cp "$VEC/seed_partitions.csv" "$OUT/partition_csv/"
    { printf '\x08'; cat "$VEC/korvo_partitions.bin"; } >"$OUT/partition_bin/korvo.bin"
    { printf '\x00\x00\x00\xff'; cat "$VEC/bootloader_esp32.bin"; } >"$OUT/image/bootloader.bin"
    head -c 65536 "$VEC/flash_tone.bin" >"$OUT/tone/flash_tone_head.bin"
    cp "$VEC/audio_tone_format1.bin" "$OUT/tone/"
    for f in "$VEC"/encrypted/*.enc; do head -c 512 "$f" >"$OUT/esp_enc/$(basename "$f" .enc)"; done
    # signature: a 2-byte image length (0x1000) + a 4 KiB "image" + the espsecure sector
    for k in rsa3072 p256; do
        f="$VEC/signed/blink_${k}_signed.bin"
        { printf '\x00\x10'; tail -c 8192 "$f"; } >"$OUT/signature/$k.bin"
    done
    # delta: 2-byte old length + old + 1-byte chunk size + patch (component assets, and ours)
    D="$VEC/delta/esp_delta_ota_test"
    if [ -d "$D" ]; then
        { printf '\xf3\x05'; cat "$D/base.bin"; printf '\x06'; cat "$D/patch.bin"; } >"$OUT/delta/patch.bin"
        { printf '\xf3\x05'; cat "$D/base.bin"; printf '\xff'; cat "$D/bad_patch.bin"; } >"$OUT/delta/bad_patch.bin"
        for fmt in esp compact; do
            $OTA delta make "$D/base.bin" "$D/new.bin" "$T/p.$fmt" --format $fmt >/dev/null
            { printf '\xf3\x05'; cat "$D/base.bin"; printf '\x00'; cat "$T/p.$fmt"; } >"$OUT/delta/ours_$fmt.bin"
        done
        # a compact patch resumed at its first checkpoint (old length's bit 15, the checkpoint, the rest)
        $OTA image make "$T/s-old.bin" --project a --version v1.0.0 --size 12288 >/dev/null
        $OTA image make "$T/s-new.bin" --project b --version v2.0.0 --size 12288 >/dev/null
        $OTA delta make "$T/s-old.bin" "$T/s-new.bin" "$T/p.sync" --format compact --sync 4K --no-reloc >/dev/null
        # relocations predicted (the default between app images), the map's scratch shared with the output
        $OTA delta make "$T/s-old.bin" "$T/s-new.bin" "$T/p.reloc" --format compact >/dev/null
        { printf '\x00\x30'; cat "$T/s-old.bin"; printf '\x80'; cat "$T/p.reloc"; } >"$OUT/delta/ours_compact_reloc.bin"
        $OTA delta apply "$T/s-old.bin" "$T/p.sync" "$T/p.out" --chunk 1 --json >"$T/p.json" &&
            python3 - "$T/p.json" "$T/p.sync" "$T/s-old.bin" "$OUT/delta/ours_compact_resumed.bin" <<'PY'
import json, struct, sys
r = json.load(open(sys.argv[1]))
patch, base = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
if r["checkpoints"]:
    cp = r["checkpoints"][0]
    head = struct.pack("<IIII", cp["patch_offset"], cp["image_offset"], r["new_size"], r["sync_interval"])
    seed = struct.pack("<H", len(base) | 0x8000) + base + b"\x00" + head + bytes.fromhex(r["new_sha256"])
    open(sys.argv[4], "wb").write(seed + patch[cp["patch_offset"]:])
PY
    fi
fi
# manifest: one published by `ota release` (a patch too); manifest_sig: 2-byte length + manifest + its
# signature file; release_record: the host's record as the tool writes it
python3 "$(dirname "$0")/../integration/app_variant.py" "$T/app.bin" "$T/v2.bin" v2.0.0
$OTA release "$T/rel" --image "$T/v2.bin" --previous "$T/app.bin" --key "$(dirname "$0")/../data/test_p256.pem" \
    --serial 7 >/dev/null
cp "$T/rel/manifest.json" "$OUT/manifest/published.json"
# manifest2: a first byte (the device's abilities and base), then a published manifest.json.v2
for b in '\x07' '\x03' '\x0c'; do
    { printf "$b"; cat "$T/rel/manifest.json.v2"; } >"$OUT/manifest2/published-$(printf "$b" | od -An -tx1 | tr -d ' ')"
done
python3 - "$T/rel/manifest.json" "$T/rel/manifest.json.sig" "$OUT/manifest_sig/published" <<'PY'
import struct, sys
m, s = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
open(sys.argv[3], 'wb').write(struct.pack('<H', len(m)) + m + s)
PY
printf 'https://h/p/manifest.json?X-Sig=a/b#f' | python3 -c 'import sys,struct; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(struct.pack("<H", len(d)) + d)' >"$OUT/manifest_sig/uri"
printf '# record\nCONFIG_MANIFEST_SERIAL=5\nCONFIG_MANIFEST_ROLLED_BACK_SERIAL=6\nCONFIG_MANIFEST_ROLLED_BACK_SHA256=%s\n' \
    "$(head -c 32 /dev/zero | tr '\0' 'a' | od -An -tx1 | tr -d ' \n')" >"$OUT/release_record/seed"
# idf_serial: two 64-byte copies (erased, and one valid copy), a record to save, the power-cut point
python3 - "$OUT/idf_serial" <<'PY'
import struct, sys, zlib
def copy(seq, serial):
    b = struct.pack('<IIII', 0x4C525453, seq, serial, 0) + bytes(32)
    return b + struct.pack('<I', zlib.crc32(b)) + b'\xff' * 12
rec = struct.pack('<II', 9, 0) + bytes(32)
open(sys.argv[1] + '/erased', 'wb').write(b'\xff' * 128 + rec + b'\x02')
open(sys.argv[1] + '/one', 'wb').write(copy(4, 8) + b'\xff' * 64 + rec + b'\x03')
open(sys.argv[1] + '/two', 'wb').write(copy(4, 8) + copy(5, 9) + rec + b'\x01')
PY
# journal: a record made by a real update would need a device; a hand-made header does
python3 - "$OUT/journal/rec" <<'PY'
import struct, sys, zlib
h = struct.pack('<III', 0x4A41544F, 1, 3) + struct.pack('<I', 9000) + bytes(12)
crc = zlib.crc32(h[12:28], zlib.crc32(h[:8]))
rec = h + struct.pack('<I', crc)
val = b'"etag"'.ljust(92, b'\0')
rec += val + struct.pack('<I', zlib.crc32(val)) + b'\xff' * (392 - 128) + struct.pack('<II', 4096, 0xFFFFEFFF)
open(sys.argv[1], 'wb').write(rec)
PY
# ddi_session: frames [kind][len16 LE][body] the fake server answers with (see fuzz_ddi_session.c): the
# record, then the controller resource, configData, a deployment whose artifact (a real v2 image) checks
# out, feedbacks, the artifact, the check before the switch; a reported outcome and a cancel; a confirmation
$OTA image make "$T/ddi_v2.bin" --project lamp --version v2.0.0 --size 8192 >/dev/null
python3 - "$OUT/ddi_session" "$T/ddi_v2.bin" <<'PY'
import hashlib, json, os, struct, sys
d, art = sys.argv[1], open(sys.argv[2], "rb").read()
B = "http://h/DEFAULT/controller/v1/dev"
def frame(body, kind=0):
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    return bytes([kind]) + struct.pack("<H", len(body)) + body
def base(**links):
    return {"config": {"polling": {"sleep": "00:00:05"}}, "_links": {k: {"href": v} for k, v in links.items()}}
dep = {"id": "7", "deployment": {"download": "forced", "update": "forced", "chunks": [
    {"part": "os", "version": "v2.0.0", "name": "app", "artifacts": [
        {"filename": "v2.bin", "size": len(art), "hashes": {"sha256": hashlib.sha256(art).hexdigest()},
         "_links": {"download-http": {"href": B + "/softwaremodules/1/artifacts/v2.bin"}}}]}]}}
idle = base()
install = [frame(base(deploymentBase=B + "/deploymentBase/7?c=1", configData=B + "/configData")), frame(b""),
           frame(dep), frame(b""), frame(art)] + [frame(idle)] * 12
rec = ("ota-ddi-record 2\nstate=outcome\naction=6\nversion=v2\nslot=ota_1\nsize=8192\nsha256=%s\nsuccess=1\n"
       "reason=trial boot: self-test passed\nconfig=\n" % ("00" * 32)).encode()
seeds = {
    "install": frame(b"") + b"".join(install) + frame(idle) + frame(b""),
    "report_cancel": frame(rec, 1) + frame(base(cancelAction=B + "/cancelAction/9")) + frame(b"") +
                     frame(idle) + frame({"id": "9", "cancelAction": {"stopId": "9"}}) + frame(b"") + frame(b"", 6),
    "confirm": frame(b"") + frame(base(confirmationBase=B + "/confirmationBase/7?c=1")) + frame(b"") +
               frame({"id": "7", "confirmation": dep["deployment"]}) + frame(b"") + b"".join(install),
    "installed": frame(b"") + frame(base(installedBase=B + "/installedBase/7")) + frame(b"") + frame(dep),
}
tone = bytes(range(256)) * 4
dep2 = json.loads(json.dumps(dep))
dep2["deployment"]["chunks"].insert(0, {"part": "data", "version": "1", "name": "store", "artifacts": [
    {"filename": "t.bin", "size": len(tone), "hashes": {"sha256": hashlib.sha256(tone).hexdigest()},
     "_links": {"download-http": {"href": B + "/softwaremodules/2/artifacts/t.bin"}}}]})
seeds["data_and_app"] = frame(b"") + b"".join(install[:2]) + frame(dep2) + frame(b"") + frame(tone) + \
    frame(idle) + frame(art) + b"".join([frame(idle)] * 12)
for name, data in seeds.items():
    open(os.path.join(d, name), "wb").write(data)
PY
# ddi: first byte picks the parser (0 JSON, 1 deployment, 2 record), then the text
python3 - "$OUT/ddi" <<'PY'
import os, sys
d = sys.argv[1]
sha = "1b7b174a672578fd23cb0f07eac785e666a7ef9d1ca6f4f6adca1b650e90ca69"
base = '{"config":{"polling":{"sleep":"00:05:00"}},"_links":{"deploymentBase":{"href":"http://h/T/controller/v1/d/deploymentBase/7?c=-1"},"configData":{"href":"http://h/c"}}}'
art = '{"filename":"a.bin","hashes":{"sha1":"x","md5":"y","sha256":"%s"},"size":300000,"_links":{"download":{"href":"https://h/a"},"download-http":{"href":"http://h/a"}}}' % sha
dep = '{"id":"7","deployment":{"download":"forced","update":"attempt","maintenanceWindow":"available","chunks":[{"part":"os","version":"v2","name":"app","artifacts":[%s]},{"part":"data","version":"1","name":"flash_tone","artifacts":[%s]}]},"actionHistory":{"status":"x","messages":["a","b"]}}' % (art, art)
rec = "ota-ddi-record 1\nstate=outcome\naction=7\nversion=v2\nslot=ota_1\nsize=300000\nsha256=%s\nsuccess=1\nreason=trial boot: self-test passed\n" % sha
rec2 = rec.replace("record 1", "record 2") + "config=%s\n" % sha
none = "ota-ddi-record 2\nstate=none\naction=\nversion=\nslot=\nsize=0\nsha256=%s\nsuccess=0\nreason=\nconfig=%s\n" % (sha, sha)
for name, k, text in (("base", 0, base), ("cancel", 0, '{"id":"11","cancelAction":{"stopId":"11"}}'),
                      ("deployment", 1, dep), ("record", 2, rec), ("record2", 2, rec2), ("record_none", 2, none)):
    open(os.path.join(d, name), "wb").write(bytes([k]) + text.encode())
PY
