/* Every fact ../shared/vectors/README.md lists, read from Espressif's own artifacts. */
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/tone.h"

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct buf *b = ctx;
    if (off > b->len || len > b->len - off) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, b->data + off, len);
    return OTA_OK;
}

static struct buf load(const char *name)
{
    const char *p = vector_path(name);
    assert_non_null(p);
    return read_file(p);
}

static void flash_tone_format0(void **state)
{
    (void)state;
    struct buf b = load("flash_tone.bin");
    struct ota_tone_info info;
    assert_int_equal(b.len, 434756);
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_OK);
    assert_int_equal(info.tag, 0x2053);
    assert_int_equal(info.count, 21);
    assert_int_equal(info.format, 0);
    assert_int_equal(info.table_offset, 8);
    assert_int_equal(info.first_file_offset, 1352);
    assert_int_equal(info.files_end, 434756);
    for (unsigned i = 0; i < info.count; i++) {
        struct ota_tone_file f;
        assert_int_equal(ota_tone_file_at(mem_read, &b, &info, i, &f), OTA_OK);
        assert_int_equal(f.type, OTA_TONE_MP3);
        assert_int_equal(f.index, i);
        if (i == 0) {
            assert_int_equal(f.offset, 1352);
        }
        if (i + 1 == info.count) {
            assert_int_equal(f.offset + f.length, 434756);
        }
    }
    buf_free(&b);
}

static void tone_format1(void **state)
{
    (void)state;
    struct buf b = load("audio_tone_format1.bin");
    struct ota_tone_info info;
    assert_int_equal(b.len, 54398);
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_OK);
    assert_int_equal(info.tag, 0x2053);
    assert_int_equal(info.count, 2);
    assert_int_equal(info.format, 1);
    assert_int_equal(info.desc.magic, 0xF55F9876);
    assert_string_equal(info.desc.version, "v1.0");
    assert_string_equal(info.desc.project, "ESP_TONE_BIN");
    assert_int_equal(info.table_offset, 264);
    assert_int_equal(info.first_file_offset, 392);
    assert_int_equal(info.files_end, 54392);
    assert_true(info.crc_valid);
    assert_int_equal(info.tail, 0xDFAC);
    /* one flipped byte in the audio: the CRC catches it */
    b.data[1000] ^= 0x01;
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_ERR_TONE_CRC);
    buf_free(&b);
}

/* Our tone builder makes the same bytes as ESP-ADF's mk_audio_tone.py. */
static void tone_builder_reproduces_vectors(void **state)
{
    (void)state;
    static const char *names[] = {"flash_tone.bin", "audio_tone_format1.bin"};
    for (int v = 0; v < 2; v++) {
        struct buf orig = load(names[v]);
        struct ota_tone_info info;
        assert_int_equal(ota_tone_verify(mem_read, &orig, (uint32_t)orig.len, &info), OTA_OK);
        uint32_t lengths[32];
        uint8_t types[32];
        for (unsigned i = 0; i < info.count; i++) {
            struct ota_tone_file f;
            ota_tone_file_at(mem_read, &orig, &info, i, &f);
            lengths[i] = f.length;
            types[i] = f.type;
        }
        struct ota_tone_build_params p = {info.format, info.count, lengths, types, info.desc.version,
                                          info.desc.time, info.desc.date};
        struct buf out = {0};
        struct ota_tone_writer w;
        assert_int_equal(ota_tone_write_begin(&w, &p, buf_emit, &out), OTA_OK);
        for (unsigned i = 0; i < info.count; i++) {
            struct ota_tone_file f;
            ota_tone_file_at(mem_read, &orig, &info, i, &f);
            assert_int_equal(ota_tone_write_data(&w, orig.data + f.offset, f.length), OTA_OK);
            assert_int_equal(ota_tone_write_file_end(&w), OTA_OK);
        }
        assert_int_equal(ota_tone_write_end(&w), OTA_OK);
        assert_int_equal(out.len, orig.len);
        assert_memory_equal(out.data, orig.data, orig.len);
        buf_free(&out);
        buf_free(&orig);
    }
}

static void seed_partitions(void **state)
{
    (void)state;
    struct buf csv = load("seed_partitions.csv");
    struct buf bin = load("seed_partitions.bin");
    static struct ota_ptable t;
    struct ota_pt_diag d;
    uint8_t out[OTA_PT_LEN];
    assert_int_equal(bin.len, 3072);
    assert_int_equal(ota_pt_parse_csv((const char *)csv.data, csv.len, 4u << 20, &t, &d), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&t, out), OTA_OK);
    assert_memory_equal(out, bin.data, OTA_PT_LEN);  /* byte for byte */
    assert_int_equal(ota_pt_parse_binary(bin.data, bin.len, 4u << 20, &t, &d), OTA_OK);
    assert_true(t.has_md5);
    assert_int_equal(bin.data[0xC0], 0xEB);
    static const struct { const char *l; uint8_t ty, st; uint32_t off, size; } want[] = {
        {"nvs", 1, 2, 0x9000, 16 << 10},          {"otadata", 1, 0, 0xd000, 8 << 10},
        {"phy_init", 1, 1, 0xf000, 4 << 10},      {"ota_0", 0, 0x10, 0x10000, 1 << 20},
        {"ota_1", 0, 0x11, 0x110000, 1 << 20},    {"flash_tone", 1, 0xff, 0x210000, 1 << 20},
    };
    assert_int_equal(t.count, 6);
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(t.entries[i].label, want[i].l);
        assert_int_equal(t.entries[i].type, want[i].ty);
        assert_int_equal(t.entries[i].subtype, want[i].st);
        assert_int_equal(t.entries[i].offset, want[i].off);
        assert_int_equal(t.entries[i].size, want[i].size);
    }
    for (size_t i = 0xE0; i < bin.len; i++) {
        assert_int_equal(bin.data[i], 0xFF);
    }
    buf_free(&csv);
    buf_free(&bin);
}

static void korvo_partitions(void **state)
{
    (void)state;
    struct buf bin = load("korvo_partitions.bin");
    static struct ota_ptable t;
    struct ota_pt_diag d;
    assert_int_equal(ota_pt_parse_binary(bin.data, bin.len, 8u << 20, &t, &d), OTA_OK);
    static const struct { const char *l; uint8_t ty, st; uint32_t off, size; } want[] = {
        {"nvs", 1, 2, 0x9000, 16 << 10},           {"otadata", 1, 0, 0xd000, 8 << 10},
        {"phy_init", 1, 1, 0xf000, 4 << 10},       {"ota_0", 0, 0x10, 0x10000, 2752 << 10},
        {"ota_1", 0, 0x11, 0x2c0000, 2752 << 10},  {"dsp_bin", 1, 36, 0x570000, 2468 << 10},
        {"flash_tone", 1, 39, 0x7d9000, 152 << 10}, {"profile", 1, 41, 0x7ff000, 4 << 10},
    };
    assert_int_equal(t.count, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_string_equal(t.entries[i].label, want[i].l);
        assert_int_equal(t.entries[i].type, want[i].ty);
        assert_int_equal(t.entries[i].subtype, want[i].st);
        assert_int_equal(t.entries[i].offset, want[i].off);
        assert_int_equal(t.entries[i].size, want[i].size);
    }
    /* It needs all of an 8 MiB flash: in 4 MiB it is out of bounds. */
    assert_int_equal(ota_pt_parse_binary(bin.data, bin.len, 4u << 20, &t, &d), OTA_ERR_PT_BOUNDS);
    buf_free(&bin);
}

static int verify_buf(const struct buf *b, const struct ota_image_opts *o, struct ota_image_info *info)
{
    static struct ota_image_verifier v;
    ota_image_verify_init(&v, o);
    int err = ota_image_verify_feed(&v, b->data, b->len);
    int fin = ota_image_verify_finish(&v, info);
    return err ? err : fin;
}

static void bootloader_image(void **state)
{
    (void)state;
    struct buf b = load("bootloader_esp32.bin");
    struct ota_image_opts o = ota_image_opts_app();
    o.is_app = false;
    o.chip_id = OTA_CHIP_ESP32;
    struct ota_image_info info;
    assert_int_equal(b.len, 7888);
    assert_int_equal(verify_buf(&b, &o, &info), OTA_OK);
    assert_int_equal(info.header.magic, 0xE9);
    assert_int_equal(info.header.segment_count, 4);
    assert_int_equal(info.header.chip_id, 0);
    assert_int_equal(info.header.entry_addr, 0x4009816c);
    assert_int_equal(info.checksum_stored, 0x83);
    assert_true(info.checksum_valid);
    assert_int_equal(info.header.hash_appended, 0);
    static const struct ota_image_segment segs[] = {
        {0x3ffc0000, 0x00000, 0x18}, {0x3ffc0000, 0x00b3c, 0x20},
        {0x40078000, 0x01068, 0xb64}, {0x40098000, 0x002e4, 0x1bd4},
    };
    assert_int_equal(info.segments_seen, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(info.segments[i].load_addr, segs[i].load_addr);
        assert_int_equal(info.segments[i].data_len, segs[i].data_len);
        assert_int_equal(info.segments[i].header_offset, segs[i].header_offset);
    }
    assert_int_equal(info.image_len, 7888);
    /* As an app it is refused: segment 0 cannot hold a descriptor. */
    o.is_app = true;
    assert_int_equal(verify_buf(&b, &o, &info), OTA_ERR_IMG_SEG0_SMALL);
    /* A flipped data byte: checksum invalid. */
    o.is_app = false;
    b.data[0x100] ^= 0x40;
    assert_int_equal(verify_buf(&b, &o, &info), OTA_ERR_IMG_CHECKSUM);
    assert_false(info.checksum_valid);
    buf_free(&b);
}

static void blink_esp32s2(void **state)
{
    (void)state;
    struct buf b = load("blink_esp32s2.bin");
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = OTA_CHIP_ESP32S2;
    o.check_mapping = true;
    o.flash_offset = 0x10000;
    struct ota_image_info info;
    assert_int_equal(b.len, 182368);
    assert_int_equal(verify_buf(&b, &o, &info), OTA_OK);
    assert_int_equal(info.header.segment_count, 6);
    assert_int_equal(info.header.chip_id, 2);
    assert_int_equal(info.header.entry_addr, 0x40022f84);
    assert_int_equal(info.checksum_stored, 0x18);
    assert_true(info.checksum_valid);
    static const uint8_t sha[32] = {
        0x10, 0xf4, 0x8f, 0x4a, 0x71, 0xa4, 0x8c, 0xc4, 0xc9, 0x17, 0xd7, 0x0d, 0x13, 0xbf, 0x71, 0x7b,
        0x1b, 0xc7, 0xf3, 0x18, 0x7b, 0x3d, 0x56, 0x4b, 0x00, 0x19, 0x2f, 0x7e, 0x38, 0x15, 0x31, 0xb7,
    };
    assert_memory_equal(info.hash_stored, sha, 32);
    assert_true(info.hash_valid);
    assert_true(info.has_desc);
    assert_string_equal(info.desc.project_name, "blink");
    assert_string_equal(info.desc.version, "qa-test-v5.0-20220830-4-g4532e6");
    static const struct ota_image_segment segs[] = {
        {0x3f000020, 0x08c18, 0x18},    {0x3ffbde90, 0x0204c, 0x8c38}, {0x40022000, 0x05384, 0xac8c},
        {0x40080020, 0x15ce8, 0x10018}, {0x40027384, 0x06b0c, 0x25d08}, {0x50000000, 0x00010, 0x2c81c},
    };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(info.segments[i].load_addr, segs[i].load_addr);
        assert_int_equal(info.segments[i].data_len, segs[i].data_len);
        assert_int_equal(info.segments[i].header_offset, segs[i].header_offset);
    }
    /* Wrong chip for an ESP32 device. */
    o.chip_id = OTA_CHIP_ESP32;
    assert_int_equal(verify_buf(&b, &o, &info), OTA_ERR_IMG_CHIP);
    /* The IROM segment would be mis-mapped 4 KiB further on. */
    o.chip_id = OTA_CHIP_ESP32S2;
    o.flash_offset = 0x11000;
    assert_int_equal(verify_buf(&b, &o, &info), OTA_ERR_IMG_MAPPING);
    /* One flipped byte in the stored hash. */
    o.flash_offset = 0x10000;
    b.data[b.len - 1] ^= 1;
    assert_int_equal(verify_buf(&b, &o, &info), OTA_ERR_IMG_HASH);
    buf_free(&b);
}

int main(void)
{
    require_vectors();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flash_tone_format0),
        cmocka_unit_test(tone_format1),
        cmocka_unit_test(tone_builder_reproduces_vectors),
        cmocka_unit_test(seed_partitions),
        cmocka_unit_test(korvo_partitions),
        cmocka_unit_test(bootloader_image),
        cmocka_unit_test(blink_esp32s2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
