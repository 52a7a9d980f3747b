#!/usr/bin/env bash
# The `ota` tool end to end: help and exit codes, round trips, a device that
# boots, falls back and reports errors. Usage: test_foundation.sh OTA VECTORS
set -u
OTA=$1
VEC=${2:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

# --- help and usage ---------------------------------------------------------
for cmd in "flash create" "flash write" "flash read" "flash erase" "partition make" "partition show" \
           "otadata show" "otadata select" "otadata mark" "image info" "image make" "image verify" \
           "tone info" "tone make" "boot" "run" "efuse" "image sign" "image verify-signature"; do
    # shellcheck disable=SC2086
    expect_ok "help: ota $cmd --help" $OTA $cmd --help
    expect_out "help text: ota $cmd" "^usage: ota $cmd"
done
expect_fail "no arguments is a usage error" 2 "commands:" $OTA
expect_fail "unknown command" 2 "unknown command 'frobnicate'" $OTA frobnicate
expect_fail "unknown option" 2 "unknown option '--bogus'" $OTA image make x --bogus 1
expect_fail "missing argument" 2 "missing argument" $OTA partition make

# --- partition tables ---------------------------------------------------------
cp "$(dirname "$0")/../../examples/ota_example/partitions.csv" "$T/seed.csv"
expect_ok "partition make (seed CSV)" $OTA partition make "$T/seed.csv" "$T/seed.bin"
if [ -n "$VEC" ] && [ -f "$VEC/seed_partitions.bin" ]; then
    expect_ok "seed CSV -> binary is byte-identical to gen_esp32part.py's" cmp "$T/seed.bin" "$VEC/seed_partitions.bin"
    expect_ok "partition make of the vector CSV" $OTA partition make "$VEC/seed_partitions.csv" "$T/v.bin"
    expect_ok "vector CSV -> binary identical" cmp "$T/v.bin" "$VEC/seed_partitions.bin"
else
    skip "seed CSV vs seed_partitions.bin (vectors absent)"
fi
expect_ok "partition show --csv" $OTA partition show "$T/seed.bin" --csv
cp "$T/out" "$T/round.csv"
expect_ok "CSV -> binary -> CSV -> binary" $OTA partition make "$T/round.csv" "$T/round.bin"
expect_ok "round trip is identical" cmp "$T/seed.bin" "$T/round.bin"
expect_ok "partition show (table layout)" $OTA partition show "$T/seed.bin"
expect_out "show lists flash_tone like the boot log" "5 flash_tone +Unknown data +01 ff 00210000 00100000"

printf 'a, data, nvs, 0x9000, 0x4000\nb, data, phy, 0xa000, 0x1000\n' > "$T/overlap.csv"
expect_fail "overlap names row and rule" 1 "overlap.csv:2: partition 'b': two partitions share bytes.*inside 'a'" \
    $OTA partition make "$T/overlap.csv" "$T/x.bin"
printf 'ota_0, app, ota_0, 0x18000, 1M\n' > "$T/align.csv"
expect_fail "misaligned app offset" 1 "align.csv:1: partition 'ota_0': app offset not 64 KiB aligned" \
    $OTA partition make "$T/align.csv" "$T/x.bin"
printf 'x, data, phy, , 4K\nx, data, phy, , 4K\n' > "$T/dup.csv"
expect_fail "duplicate name" 1 "dup.csv:2: partition 'x': two partitions with the same name" \
    $OTA partition make "$T/dup.csv" "$T/x.bin"
printf 'otadata, data, ota, , 0x1000\n' > "$T/otadata.csv"
expect_fail "otadata size" 1 "otadata.csv:1: partition 'otadata': more than one data/ota .*partition, or its size is not 0x2000" \
    $OTA partition make "$T/otadata.csv" "$T/x.bin"
printf 'big, app, ota_0, , 4M\n' > "$T/big.csv"
expect_fail "past the end of flash" 1 "big.csv:1: partition 'big': partition lies .*beyond the end of the flash" \
    $OTA partition make "$T/big.csv" "$T/x.bin" --flash-size 4MB
printf 'x, fancy, nvs, , 16K\n' > "$T/type.csv"
expect_fail "unknown type name" 1 "type.csv:1: partition 'x': a type or subtype name" \
    $OTA partition make "$T/type.csv" "$T/x.bin"
cp "$T/seed.bin" "$T/badmd5.bin"
printf 'X' | dd of="$T/badmd5.bin" bs=1 seek=$((0x0D)) conv=notrunc 2>/dev/null
expect_fail "bad MD5" 1 "row 6: MD5 row does not match" $OTA partition show "$T/badmd5.bin"

# gen_esp32part v6.0 parity: its to_csv() bases (the expected text is what
# gen prints for the same binary), and the rows it refuses.
printf 'nvs, data, nvs, , 0x4000,\nodd, data, 0x55, , 0x1800, encrypted:readonly\ncustom, 0x40, 0x7, , 3000,\ntee_0, app, tee_0, , 64K,\n' > "$T/bases.csv"
expect_ok "partition make (custom numbers, tee_0)" $OTA partition make "$T/bases.csv" "$T/bases.bin"
expect_ok "partition show --csv (bases)" $OTA partition show "$T/bases.bin" --csv
cp "$T/out" "$T/bases.ota"
printf '# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\nnvs,data,nvs,0x9000,16K,\nodd,data,85,0xd000,6K,encrypted:readonly\ncustom,64,7,0xf000,0xbb8,\ntee_0,app,tee_0,0x10000,64K,\n' > "$T/bases.gen"
expect_ok "show --csv prints numbers in gen's bases" cmp "$T/bases.ota" "$T/bases.gen"
printf 'a, data, nvs, 0x20000, 0x4000\nb, data, phy, 0x10000, 0x1000\n' > "$T/order.csv"
expect_fail "offsets out of order" 1 "order.csv:2: partition 'b': partition offsets out of order.*before 'a' above it at 0x20000" \
    $OTA partition make "$T/order.csv" "$T/x.bin"
printf 'c, 0x40, 0, 0x1000, 0x1000\n' > "$T/below.csv"
expect_fail "custom type below the table" 1 "below.csv:1: partition 'c': partition placed below the end of the partition table" \
    $OTA partition make "$T/below.csv" "$T/x.bin"
printf 'otadata, data, ota, , 0x2000, readonly\n' > "$T/ro.csv"
expect_fail "read-only otadata" 1 "ro.csv:1: partition 'otadata': otadata and coredump partitions are always read-write" \
    $OTA partition make "$T/ro.csv" "$T/x.bin"
printf '\xef\xbb\xbfbootloader, bootloader, primary, N/A, N/A\rnvs, DATA, NVS, , 0x4000\r' > "$T/bom.csv"
expect_ok "BOM, CR lines, N/A, upper-case keywords" $OTA partition make "$T/bom.csv" "$T/bom.bin"
expect_ok "partition show of it" $OTA partition show "$T/bom.bin" --csv
expect_out "bootloader row placed by the tool" "^bootloader,bootloader,primary,0x1000,28K,$"

# --- app images ----------------------------------------------------------------
expect_ok "image make" $OTA image make "$T/app.bin" --project play_mp3_control --version v2.0.0 --size 300000
expect_ok "image info" $OTA image info "$T/app.bin"
expect_out "info: checksum valid" "^Checksum: 0x[0-9a-f]{2} \(valid\)"
expect_out "info: hash valid" "^Validation hash: [0-9a-f]{64} \(valid\)"
expect_out "info: project" "^Project name: play_mp3_control"
expect_out "info: segment table" "^ +0 +0x[0-9a-f]{5} +0x3f400020 +0x00000018 +DROM"
expect_ok "image verify" $OTA image verify "$T/app.bin" --chip esp32 --max-size 1M
expect_fail "image too big for its slot" 1 "OTA_ERR_IMG_TOO_BIG" $OTA image verify "$T/app.bin" --max-size 256K
expect_fail "wrong chip" 1 "OTA_ERR_IMG_CHIP" $OTA image verify "$T/app.bin" --chip esp32s2
# Other chips: their own memory map, or a clear refusal.
expect_ok "image make --chip esp32s3" $OTA image make "$T/s3.bin" --project p --version v1.0.0 --chip esp32s3 --size 65536
expect_ok "image info (S3)" $OTA image info "$T/s3.bin"
expect_out "S3 DROM at the S3's address" "^ +0 +0x[0-9a-f]{5} +0x3c000020 +0x00000018 +DROM"
expect_out "S3 IRAM at the S3's address" "0x40374000 +0x[0-9a-f]{8} +IRAM"
expect_ok "image verify --chip esp32s3" $OTA image verify "$T/s3.bin" --chip esp32s3
$OTA flash create "$T/s3.img" --table "$T/seed.csv" >/dev/null
$OTA flash write "$T/s3.img" ota_0 "$T/s3.bin" >/dev/null
expect_ok "boot --chip esp32s3" $OTA boot "$T/s3.img" --chip esp32s3
expect_out "the S3 app boots" "^booted: ota_0"
expect_ok "image make --chip esp32c3" $OTA image make "$T/c3.bin" --project p --version v1.0.0 --chip esp32c3
expect_ok "image verify --chip esp32c3" $OTA image verify "$T/c3.bin" --chip esp32c3
cp "$T/app.bin" "$T/bad.bin"
flip_byte "$T/bad.bin" 299999
expect_fail "one flipped hash byte" 1 "OTA_ERR_IMG_HASH" $OTA image verify "$T/bad.bin"
expect_fail "info reports an invalid hash and fails" 1 "appended SHA-256 mismatch" $OTA image info "$T/bad.bin"
expect_out "info prints (invalid)" "^Validation hash: .* \(invalid\)"
head -c 1000 "$T/app.bin" > "$T/short.bin"
expect_fail "truncated image" 1 "OTA_ERR_IMG_TRUNCATED" $OTA image verify "$T/short.bin"
expect_fail "not an image" 1 "not an image" $OTA image info "$T/seed.csv"

# --- tone images ---------------------------------------------------------------
head -c 5001 /dev/urandom > "$T/a.mp3"
head -c 777 /dev/urandom > "$T/b.wav"
expect_ok "tone make format 0" $OTA tone make "$T/t0.bin" "$T/a.mp3" "$T/b.wav"
expect_ok "tone info format 0" $OTA tone info "$T/t0.bin"
expect_out "format 0, 2 files" "format 0, 2 files"
expect_ok "tone make format 1" $OTA tone make "$T/t1.bin" "$T/a.mp3" "$T/b.wav" --format 1 --version v1.2.3
expect_ok "tone info format 1" $OTA tone info "$T/t1.bin"
expect_out "format 1 CRC valid" "CRC-32: 0x[0-9a-f]{8} \(valid\), tail 0xdfac"
printf 'XX' | dd of="$T/t1.bin" bs=1 seek=0 conv=notrunc 2>/dev/null
expect_fail "bad tone tag" 1 "OTA_ERR_TONE_TAG" $OTA tone info "$T/t1.bin"
if [ -n "$VEC" ] && [ -f "$VEC/flash_tone.bin" ]; then
    expect_ok "tone info on the seed's flash_tone.bin" $OTA tone info "$VEC/flash_tone.bin"
    expect_out "seed tone: format 0, 21 files" "format 0, 21 files"
else
    skip "tone info on flash_tone.bin (vectors absent)"
fi

# --- a device: create, write, boot, select, fall back ----------------------------
D="$T/dev.img"
expect_ok "flash create" $OTA flash create "$D" --table "$T/seed.csv"
expect_ok "flash create from a binary table" $OTA flash create "$T/dev2.img" --table "$T/seed.bin" --size 4MB
expect_fail "flash create: table bigger than flash" 1 "beyond the end of the flash" \
    $OTA flash create "$T/small.img" --table "$T/seed.csv" --size 2MB
expect_fail "boot with no app" 1 "no app boots" $OTA boot "$D"
$OTA image make "$T/old.bin" --project ota_example --version v1.0.0 --size 200000 >/dev/null
expect_ok "flash write ota_0" $OTA flash write "$D" ota_0 "$T/old.bin"
expect_ok "boot: fresh device" $OTA boot "$D"
expect_out "boots ota_0" "^booted: ota_0"
expect_log "no factory -> OTA 0" "No factory image, trying OTA 0"
expect_log "records seq 1" "Set actual ota_seq=1 in otadata\[0\]"
expect_log "partition table in the seed's layout" "I \([0-9]+\) boot:  3 ota_0 +OTA app +00 10 00010000 00100000"
expect_log "app info like cpu_start" "cpu_start: Project name: +ota_example"
expect_fail "select an empty slot is refused" 1 "holds no valid app image" $OTA otadata select "$D" ota_1
expect_ok "flash write ota_1" $OTA flash write "$D" ota_1 "$T/app.bin"
expect_ok "otadata select ota_1" $OTA otadata select "$D" ota_1
expect_ok "boot after select" $OTA boot "$D"
expect_out "boots ota_1" "^booted: ota_1"
expect_log "ota_1 is play_mp3_control" "Project name: +play_mp3_control"
printf '\x00\x00\x00\x00' | dd of="$D" bs=1 seek=$((0x110000 + 4000)) conv=notrunc 2>/dev/null
expect_ok "boot with corrupted ota_1" $OTA boot "$D"
expect_out "falls back to ota_0" "^booted: ota_0.*fallback"
expect_log "says why" "ota_1 does not boot; falling back to ota_0"
expect_fail "flash write: file larger than partition" 1 "do not fit in partition 'phy_init'" \
    $OTA flash write "$D" phy_init "$T/app.bin"
expect_fail "flash write: unknown label" 1 "no partition labelled 'nope'" $OTA flash write "$D" nope "$T/a.mp3"
expect_ok "tone image into flash_tone" $OTA flash write "$D" flash_tone "$T/t0.bin"
expect_ok "tone info on the partition" $OTA tone info "$D" --label flash_tone
expect_out "partition holds 2 files" "format 0, 2 files"
expect_ok "flash read" $OTA flash read "$D" ota_0 "$T/ota0.bin"
expect_ok "image read back verifies" $OTA image verify "$T/ota0.bin"
expect_ok "flash erase" $OTA flash erase "$D" ota_0
expect_fail "erased ota_0 no longer verifies" 1 "first byte is not 0xE9" $OTA image verify "$D" --label ota_0

# rollback: trial boot, no confirmation -> previous app
$OTA flash write "$D" ota_0 "$T/old.bin" >/dev/null
$OTA flash write "$D" ota_1 "$T/app.bin" >/dev/null
$OTA otadata select "$D" ota_0 >/dev/null
expect_ok "select ota_1 with rollback" $OTA otadata select "$D" ota_1 --rollback
expect_out "state NEW" "state NEW"
expect_ok "trial boot" $OTA boot "$D" --rollback
expect_out "trial boot of ota_1" "^booted: ota_1.*PENDING_VERIFY"
expect_ok "restart without mark valid" $OTA boot "$D" --rollback
expect_out "rolled back to ota_0" "^booted: ota_0"
expect_ok "otadata show" $OTA otadata show "$D"
expect_out "the trial copy is ABORTED" "state ABORTED"

# mark invalid with nothing to roll back to is refused (ESP_ERR_OTA_ROLLBACK_FAILED)
$OTA flash erase "$D" ota_1 >/dev/null
cp "$D" "$T/before-mark.img"
expect_fail "mark invalid: nothing to roll back to" 1 "not marked invalid: rollback is not possible" \
    $OTA otadata mark "$D" invalid
cmp -s "$D" "$T/before-mark.img" || fail "mark invalid that was refused changed the device"

# --- layout per chip (CONFIG_BOOTLOADER_OFFSET_IN_FLASH, gen_esp32part --primary-bootloader-offset) ---
printf 'bootloader, bootloader, primary, N/A, N/A\npartition_table, partition_table, primary, N/A, N/A\nnvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\nota_0, app, ota_0, , 1M\nota_1, app, ota_1, , 1M\n' > "$T/rows.csv"
row_at() {  # IMG: "offset length" of the bootloader row
    $OTA partition show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); p=[p for p in d["partitions"] if p["label"]=="bootloader"][0]; print(hex(p["offset"]), hex(p["size"]))'
}
for c in "esp32 0x1000 0x7000" "esp32s2 0x1000 0x7000" "esp32c3 0x0 0x8000" "esp32s3 0x0 0x8000"; do
    set -- $c
    expect_ok "flash create --chip $1 with a bootloader row" $OTA flash create "$T/lay-$1.img" --table "$T/rows.csv" --chip "$1"
    got=$(row_at "$T/lay-$1.img")
    [ "$got" = "$2 $3" ] && pass "$1: the bootloader row at $2, $3 bytes" || fail "$1: the bootloader row is '$got', wanted '$2 $3'"
    # an image whose header names this chip stands in for its bootloader
    $OTA image make "$T/bl-$1.bin" --project bootloader --version v1 --size 8192 --chip "$1" >/dev/null
    expect_ok "flash create --chip $1 --bootloader" $OTA flash create "$T/bl-$1.img" --table "$T/rows.csv" --chip "$1" --bootloader "$T/bl-$1.bin"
    expect_out "$1: says where" "bootloader at $2"
    cmp -s -n 8192 -i "0:$(($2))" "$T/bl-$1.bin" "$T/bl-$1.img" && pass "$1: the bootloader written at $2" \
        || fail "$1: the bootloader is not at $2"
done
expect_fail "an ESP32-S3 bootloader on an ESP32-C3 is refused" 1 "a bootloader for the ESP32-S3 \(chip id 9 in its header\), not for the ESP32-C3" \
    $OTA flash create "$T/x.img" --table "$T/rows.csv" --chip esp32c3 --bootloader "$T/bl-esp32s3.bin"
[ -e "$T/x.img" ] && fail "a refused flash create left an image"
expect_fail "a file that is no image is no bootloader" 1 "not a bootloader image" \
    $OTA flash create "$T/x.img" --table "$T/rows.csv" --bootloader "$T/rows.csv"
expect_ok "no --chip: the bootloader's header names the chip" $OTA flash create "$T/x.img" --table "$T/rows.csv" --bootloader "$T/bl-esp32c3.bin"
expect_out "placed for the ESP32-C3" "ESP32-C3 bootloader at 0x0"
if [ -n "$VEC" ] && [ -f "$VEC/bootloader_esp32.bin" ]; then
    expect_fail "esptool's ESP32 bootloader on an ESP32-C3" 1 "a bootloader for the ESP32 \(chip id 0" \
        $OTA flash create "$T/x.img" --table "$T/rows.csv" --chip esp32c3 --bootloader "$VEC/bootloader_esp32.bin"
    expect_ok "esptool's ESP32 bootloader on an ESP32" $OTA flash create "$T/e.img" --table "$T/rows.csv" --chip esp32 --bootloader "$VEC/bootloader_esp32.bin"
    cmp -s -n 7888 -i 0:0x1000 "$VEC/bootloader_esp32.bin" "$T/e.img" && pass "written at 0x1000" || fail "not at 0x1000"
fi
$OTA partition make "$T/rows.csv" "$T/rows-esp32.bin" >/dev/null
expect_fail "a binary table laid out for the ESP32 on an ESP32-S3" 1 "its bootloader row is at 0x1000, but the ESP32-S3 loads its bootloader from 0x0" \
    $OTA flash create "$T/x.img" --table "$T/rows-esp32.bin" --chip esp32s3
# image make: segment 0 (mapped DROM) must end inside the chip's window
expect_fail "image make: segment 0 past the ESP32's DROM window" 1 "segment 0 of an ESP32 image is mapped flash \(DROM\) and would run past the chip's mapping window; at most 4195632 bytes" \
    $OTA image make "$T/big.bin" --project p --version v --size 4195648
[ -e "$T/big.bin" ] && fail "a refused image make wrote its output"
expect_fail "image make: past the ESP32-C3's window" 1 "ESP32-C3 image .* at most 8389936 bytes" \
    $OTA image make "$T/big.bin" --project p --version v --size 9MB --chip esp32c3

finish
