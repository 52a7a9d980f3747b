#!/usr/bin/env bash
# Seed corpora for the fuzz targets: Espressif's vectors (when present) and
# inputs the tool makes. Usage: make_seeds.sh OTA OUTDIR [VECTORS]
set -eu
OTA=$1 OUT=$2 VEC=${3:-}
rm -rf "$OUT"
for t in partition_bin partition_csv otadata image tone sdkconfig signature journal delta manifest manifest_sig \
    release_record compressed; do mkdir -p "$OUT/$t"; done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\nphy_init, data, phy, , 0x1000\nota_0, app, ota_0, , 1M\nota_1, app, ota_1, , 1M\nflash_tone, data, 0xff, , 1M\n' >"$OUT/partition_csv/seed.csv"
printf 'factory, app, factory, 0x10000, 1M, encrypted:readonly\nstore, data, spiffs, , 64K\n' >"$OUT/partition_csv/flags.csv"
$OTA partition make "$OUT/partition_csv/seed.csv" "$T/seed.bin" >/dev/null
{ printf '\x04'; cat "$T/seed.bin"; } >"$OUT/partition_bin/seed.bin"   # first byte: flash size in MiB
$OTA image make "$T/app.bin" --project p --version v1.2.3 --size 4096 >/dev/null
{ printf '\x0b\x00\x10\x3f'; cat "$T/app.bin"; } >"$OUT/image/app.bin"    # 4 option bytes, then the image
# compressed: 1-byte chunk size + a compressed app image (small: each run decodes it whole)
$OTA image compress "$T/app.bin" "$T/app.cz" >/dev/null
{ printf '\x00'; cat "$T/app.cz"; } >"$OUT/compressed/small.bin"
printf 'CONFIG_WIFI_SSID="my\\"ssid"\n# CONFIG_X is not set\nCONFIG_Y=y\n' >"$OUT/sdkconfig/seed"
printf '\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x9a\x98\x43\x47' >"$OUT/otadata/seq1"
head -c 700 /dev/zero | tr '\0' 'a' >"$T/a.mp3"
$OTA tone make "$OUT/tone/f0.bin" "$T/a.mp3" "$T/a.mp3" >/dev/null
$OTA tone make "$OUT/tone/f1.bin" "$T/a.mp3" --format 1 >/dev/null
if [ -n "$VEC" ] && [ -d "$VEC" ]; then
    cp "$VEC/seed_partitions.csv" "$OUT/partition_csv/"
    { printf '\x08'; cat "$VEC/korvo_partitions.bin"; } >"$OUT/partition_bin/korvo.bin"
    { printf '\x00\x00\x00\xff'; cat "$VEC/bootloader_esp32.bin"; } >"$OUT/image/bootloader.bin"
    head -c 65536 "$VEC/flash_tone.bin" >"$OUT/tone/flash_tone_head.bin"
    cp "$VEC/audio_tone_format1.bin" "$OUT/tone/"
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
    fi
fi
# manifest: one published by `ota release` (a patch too); manifest_sig: 2-byte length + manifest + its
# signature file; release_record: the host's record as the tool writes it
python3 "$(dirname "$0")/../integration/app_variant.py" "$T/app.bin" "$T/v2.bin" v2.0.0
$OTA release "$T/rel" --image "$T/v2.bin" --previous "$T/app.bin" --key "$(dirname "$0")/../data/test_p256.pem" \
    --serial 7 >/dev/null
cp "$T/rel/manifest.json" "$OUT/manifest/published.json"
python3 - "$T/rel/manifest.json" "$T/rel/manifest.json.sig" "$OUT/manifest_sig/published" <<'PY'
import struct, sys
m, s = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
open(sys.argv[3], 'wb').write(struct.pack('<H', len(m)) + m + s)
PY
printf 'https://h/p/manifest.json?X-Sig=a/b#f' | python3 -c 'import sys,struct; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(struct.pack("<H", len(d)) + d)' >"$OUT/manifest_sig/uri"
printf '# record\nCONFIG_MANIFEST_SERIAL=5\nCONFIG_MANIFEST_ROLLED_BACK_SERIAL=6\nCONFIG_MANIFEST_ROLLED_BACK_SHA256=%s\n' \
    "$(head -c 32 /dev/zero | tr '\0' 'a' | od -An -tx1 | tr -d ' \n')" >"$OUT/release_record/seed"
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
