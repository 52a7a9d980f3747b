/* App image: builder and streaming verifier, valid and malformed. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "ota/error.h"

#define SIZE 20000u

static int verify_chunked(const uint8_t *data, size_t len, size_t chunk, const struct ota_image_opts *o,
                          struct ota_image_info *info)
{
    static struct ota_image_verifier v;
    ota_image_verify_init(&v, o);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        int err = ota_image_verify_feed(&v, data + off, n);
        if (err) {
            ota_image_verify_finish(&v, info);
            return err;
        }
    }
    return ota_image_verify_finish(&v, info);
}

static int verify(const struct buf *b, const struct ota_image_opts *o)
{
    struct ota_image_info info;
    return verify_chunked(b->data, b->len, b->len ? b->len : 1, o, &info);
}

static void built_image_verifies_in_any_chunking(void **state)
{
    (void)state;
    struct buf b = make_image("play_mp3_control", "v2.0.0", SIZE, OTA_CHIP_ESP32);
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = OTA_CHIP_ESP32;
    o.check_mapping = true;
    o.flash_offset = 0x110000;
    o.max_len = 0x100000;
    static const size_t chunks[] = {1, 3, 7, 8, 24, 64, 1000, 4096, SIZE};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        struct ota_image_info info;
        assert_int_equal(verify_chunked(b.data, b.len, chunks[i], &o, &info), OTA_OK);
        assert_int_equal(info.image_len, SIZE);
        assert_int_equal(info.header.segment_count, 3);
        assert_int_equal(info.segments_seen, 3);
        assert_int_equal(info.segments[0].load_addr, 0x3F400020);
        assert_int_equal(info.segments[0].header_offset, 0x18);
        assert_true(info.checksum_valid);
        assert_true(info.hash_valid);
        assert_true(info.has_desc);
        assert_string_equal(info.desc.project_name, "play_mp3_control");
        assert_string_equal(info.desc.version, "v2.0.0");
        assert_string_equal(info.desc.date, "Jan  1 2026");
    }
    buf_free(&b);
}

static void builder_is_deterministic_and_sized(void **state)
{
    (void)state;
    struct buf a = make_image("p", "v1.0.0", 4096, OTA_CHIP_ESP32);
    struct buf b = make_image("p", "v1.0.0", 4096, OTA_CHIP_ESP32);
    struct buf c = make_image("p", "v1.0.1", 4096, OTA_CHIP_ESP32);
    assert_memory_equal(a.data, b.data, a.len);
    assert_memory_not_equal(a.data, c.data, a.len);
    struct buf s2 = make_image("p", "v1.0.0", 1u << 20, OTA_CHIP_ESP32S2);
    struct ota_image_opts o = ota_image_opts_app();
    o.chip_id = OTA_CHIP_ESP32S2;
    assert_int_equal(verify(&s2, &o), OTA_OK);
    struct ota_image_build_params bad = {"p", "v", 0, 0, 4008, "", "", ""};
    assert_int_equal(ota_image_build(&bad, buf_emit, &a), OTA_ERR_INVALID_ARG);  /* not a multiple of 16 */
    bad.size = 1024;
    assert_int_equal(ota_image_build(&bad, buf_emit, &a), OTA_ERR_INVALID_ARG);  /* too small */
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
    buf_free(&s2);
}

static void truncated_at_many_lengths(void **state)
{
    (void)state;
    struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
    static const size_t cuts[] = {0, 1, 23, 24, 31, 32, 300, 10000, SIZE - 40, SIZE - 33, SIZE - 32, SIZE - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        struct ota_image_info info;
        int err = verify_chunked(b.data, cuts[i], 512, NULL, &info);
        assert_int_equal(err, OTA_ERR_IMG_TRUNCATED);
    }
    buf_free(&b);
}

static void desc_is_ready_before_the_payload(void **state)
{
    (void)state;
    struct buf b = make_image("p", "v3.1.4", SIZE, OTA_CHIP_ESP32);
    static struct ota_image_verifier v;
    ota_image_verify_init(&v, NULL);
    assert_int_equal(ota_image_verify_feed(&v, b.data, 0x20 + 255), OTA_OK);
    assert_false(ota_image_desc_ready(&v));
    assert_int_equal(ota_image_verify_feed(&v, b.data + 0x20 + 255, 1), OTA_OK);
    assert_true(ota_image_desc_ready(&v));
    assert_string_equal(v.info.desc.version, "v3.1.4");
    buf_free(&b);
}

static void trailing_bytes_are_counted_not_verified(void **state)
{
    (void)state;
    struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
    uint8_t pad[100];
    memset(pad, 0xFF, sizeof(pad));
    assert_int_equal(buf_emit(&b, pad, sizeof(pad)), OTA_OK);
    struct ota_image_info info;
    assert_int_equal(verify_chunked(b.data, b.len, 777, NULL, &info), OTA_OK);
    assert_int_equal(info.trailing_len, 100);
    buf_free(&b);
}

/* A copy of a fresh image with one change, verified with opts. */
static int verify_patched(size_t at, uint8_t value, const struct ota_image_opts *o)
{
    struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
    b.data[at] = value;
    int err = verify(&b, o);
    buf_free(&b);
    return err;
}

static void malformed_images_get_specific_errors(void **state)
{
    (void)state;
    struct ota_image_opts app = ota_image_opts_app();
    assert_int_equal(verify_patched(0, 0xE8, &app), OTA_ERR_IMG_MAGIC);
    assert_int_equal(verify_patched(1, 17, &app), OTA_ERR_IMG_SEGMENTS);
    assert_int_equal(verify_patched(0x1C, 0xEE, &app), OTA_ERR_IMG_SEG_LEN);   /* seg 0 length % 4 */
    assert_int_equal(verify_patched(0x1F, 0x01, &app), OTA_ERR_IMG_SEG_LEN);   /* seg 0 length >= 16 MiB */
    assert_int_equal(verify_patched(5000, 0x00, &app), OTA_ERR_IMG_CHECKSUM);  /* payload byte */
    assert_int_equal(verify_patched(SIZE - 1, 0x00, &app), OTA_ERR_IMG_HASH);  /* stored hash */
    assert_int_equal(verify_patched(0x20, 0x00, &app), OTA_ERR_IMG_DESC);      /* descriptor magic */

    struct ota_image_opts esp32 = app;
    esp32.chip_id = OTA_CHIP_ESP32;
    assert_int_equal(verify_patched(12, 2, &esp32), OTA_ERR_IMG_CHIP);         /* says ESP32-S2 */
    assert_int_equal(verify_patched(15, 0x2C, &esp32), OTA_ERR_IMG_HASH);      /* revision unknown: not checked */
    esp32.chip_rev = 0;                                                        /* an ESP32 v0.0 */
    assert_int_equal(verify_patched(15, 0x2C, &esp32), OTA_ERR_IMG_CHIP_REV);  /* needs rev v0.44 */

    struct ota_image_opts small = app;
    small.max_len = SIZE - 16;
    assert_int_equal(verify_patched(100, 0x55, &small), OTA_ERR_IMG_TOO_BIG);

    struct ota_image_opts mapped = app;
    mapped.check_mapping = true;
    mapped.flash_offset = 0x10100;  /* DROM data would sit at 0x..120, vaddr at 0x..020 */
    assert_int_equal(verify_patched(100, 0x55, &mapped), OTA_ERR_IMG_MAPPING);
    mapped.flash_offset = 0x10000;
    assert_int_equal(verify_patched(SIZE - 1, 0x00, &mapped), OTA_ERR_IMG_HASH);

    /* Lengths near 2^32 must not wrap anything. */
    {
        struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
        b.data[0x1C] = 0xFC; b.data[0x1D] = 0xFF; b.data[0x1E] = 0xFF; b.data[0x1F] = 0xFF;
        assert_int_equal(verify(&b, &app), OTA_ERR_IMG_SEG_LEN);
        buf_free(&b);
        struct ota_image_opts near = app;
        near.max_len = 0xFFFFFFFFu;
        b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
        assert_int_equal(verify(&b, &near), OTA_OK);
        buf_free(&b);
    }
    /* An app whose segment 0 cannot hold the descriptor. */
    uint8_t tiny[48] = {0xE9, 1, 2, 0x20};
    tiny[0x1C] = 16;
    struct ota_image_info info;
    assert_int_equal(verify_chunked(tiny, sizeof(tiny), 48, &app, &info), OTA_ERR_IMG_SEG0_SMALL);
}

/* The checksum is computed over whole spans, 8 bytes at a time: a flipped
 * bit anywhere in any segment's data (its first bytes, the middle, the
 * last 7 bytes that are no whole word) must be caught in every chunking,
 * and the computed checksum must be the byte-wise XOR. */
static void checksum_catches_a_flip_anywhere(void **state)
{
    (void)state;
    struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
    struct ota_image_opts app = ota_image_opts_app();
    struct ota_image_info info;
    assert_int_equal(verify_chunked(b.data, b.len, b.len, &app, &info), OTA_OK);
    uint8_t want = OTA_CHECKSUM_SEED;
    for (uint32_t sg = 0; sg < info.segments_seen; sg++) {
        uint32_t start = info.segments[sg].header_offset + OTA_IMAGE_SEG_HEADER_LEN;
        for (uint32_t i = 0; i < info.segments[sg].data_len; i++) {
            want ^= b.data[start + i];
        }
    }
    assert_int_equal(info.checksum_computed, want);
    static const size_t chunks[] = {1, 5, 8, 13, 4096, SIZE};
    for (uint32_t sg = 0; sg < info.segments_seen; sg++) {
        uint32_t start = info.segments[sg].header_offset + OTA_IMAGE_SEG_HEADER_LEN;
        uint32_t len = info.segments[sg].data_len;
        /* past segment 0's descriptor, whose fields are judged first */
        uint32_t first = sg == 0 ? OTA_APP_DESC_LEN : 0;
        const uint32_t at[] = {start + first, start + first + 9, start + len / 2, start + len - 7, start + len - 1};
        for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
            b.data[at[k]] ^= 0x10;
            for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
                assert_int_equal(verify_chunked(b.data, b.len, chunks[c], &app, &info), OTA_ERR_IMG_CHECKSUM);
                assert_int_equal(info.checksum_computed, want ^ 0x10);
            }
            b.data[at[k]] ^= 0x10;
        }
    }
    buf_free(&b);
}

static void errors_are_sticky(void **state)
{
    (void)state;
    static struct ota_image_verifier v;
    uint8_t junk[64] = {0x12};
    ota_image_verify_init(&v, NULL);
    assert_int_equal(ota_image_verify_feed(&v, junk, sizeof(junk)), OTA_ERR_IMG_MAGIC);
    assert_int_equal(ota_image_verify_feed(&v, junk, sizeof(junk)), OTA_ERR_IMG_MAGIC);
    assert_int_equal(ota_image_verify_finish(&v, NULL), OTA_ERR_IMG_MAGIC);
}

static void verify_in_flash(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    make_seed_device(&t, &table);
    const struct ota_partition *p = ota_pt_find_label(&table, "ota_0");
    struct ota_image_info info;
    /* erased partition: wrong magic */
    assert_int_equal(ota_image_verify_partition(&t.hf.flash, p, NULL, &info), OTA_ERR_IMG_MAGIC);
    struct buf b = make_image("p", "v1", SIZE, OTA_CHIP_ESP32);
    write_partition(&t, p, b.data, b.len);
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(ota_image_verify_partition(&t.hf.flash, p, NULL, &info), OTA_OK);
    /* It reads the image, not the whole 1 MiB partition. */
    assert_int_equal(t.hf.count.bytes_read, SIZE);
    /* An image longer than its partition reads as truncated there. */
    struct ota_partition small = *p;
    small.size = 0x4000;
    assert_int_equal(ota_image_verify_partition(&t.hf.flash, &small, NULL, &info), OTA_ERR_IMG_TRUNCATED);
    buf_free(&b);
    tmp_flash_destroy(&t);
}

static uint32_t get_seg_len(const uint8_t *data, uint32_t hdr)
{
    return (uint32_t)data[hdr + 4] | (uint32_t)data[hdr + 5] << 8 | (uint32_t)data[hdr + 6] << 16 |
           (uint32_t)data[hdr + 7] << 24;
}

static void put_addr(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Each chip's own memory map (ESP-IDF v6.0 soc.h): an S3 or C3 app is laid
 * out where that chip's bootloader maps and loads it, and the verifier
 * judges segments by the chip in the header. Before, --chip esp32s3 built
 * an ESP32 layout that the real S3 bootloader refuses, and it verified. */
static void each_chip_has_its_own_memory_map(void **state)
{
    (void)state;
    static const struct { uint16_t chip; uint32_t drom, dram_lo, dram_hi, iram_lo, iram_hi; } chips[] = {
        {OTA_CHIP_ESP32, 0x3F400020u, 0x3FFAE000u, 0x40000000u, 0x40080000u, 0x400AA000u},
        {OTA_CHIP_ESP32S2, 0x3F000020u, 0x3FFB0000u, 0x40000000u, 0x40020000u, 0x40070000u},
        {OTA_CHIP_ESP32S3, 0x3C000020u, 0x3FC88000u, 0x3FD00000u, 0x40370000u, 0x403E0000u},
        {OTA_CHIP_ESP32C3, 0x3C000020u, 0x3FC80000u, 0x3FCE0000u, 0x4037C000u, 0x403E0000u},
    };
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        struct buf b = make_image("p", "v1.0.0", 8192, chips[i].chip);
        struct ota_image_opts o = ota_image_opts_app();
        struct ota_image_info info;
        o.chip_id = chips[i].chip;
        o.check_mapping = true;
        o.flash_offset = 0x10000;
        assert_int_equal(verify_chunked(b.data, b.len, b.len, &o, &info), OTA_OK);
        assert_int_equal(info.header.chip_id, chips[i].chip);
        assert_int_equal(info.segments[0].load_addr, chips[i].drom);
        assert_string_equal(ota_chip_region_name(chips[i].chip, info.segments[0].load_addr), "DROM");
        assert_true(info.segments[1].load_addr >= chips[i].dram_lo && info.segments[1].load_addr < chips[i].dram_hi);
        assert_true(info.segments[2].load_addr >= chips[i].iram_lo && info.segments[2].load_addr < chips[i].iram_hi);
        assert_true(info.header.entry_addr >= chips[i].iram_lo && info.header.entry_addr < chips[i].iram_hi);
        buf_free(&b);
    }
    /* An ESP32 layout under the S3 id (what --chip esp32s3 used to build): refused. */
    struct buf b = make_image("p", "v1.0.0", 8192, OTA_CHIP_ESP32);
    b.data[12] = (uint8_t)OTA_CHIP_ESP32S3;
    struct ota_image_opts o = ota_image_opts_app();
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
    o.chip_id = OTA_CHIP_ESP32S3;
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
    /* and an S3 layout under the ESP32 id */
    buf_free(&b);
    b = make_image("p", "v1.0.0", 8192, OTA_CHIP_ESP32S3);
    b.data[12] = (uint8_t)OTA_CHIP_ESP32;
    o = ota_image_opts_app();
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
    buf_free(&b);
}

static void segment_placement_rules(void **state)
{
    (void)state;
    struct buf b = make_image("p", "v1.0.0", 8192, OTA_CHIP_ESP32);
    struct ota_image_opts o = ota_image_opts_app();
    uint32_t dram_hdr = 0x18 + 8 + (get_seg_len(b.data, 0x18));
    /* the DRAM segment (0x100 bytes) moved to end past DRAM's top */
    put_addr(b.data + dram_hdr, 0x40000000u - 0x80u);
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
    /* into the ROM (0x40000000..): not a load address */
    put_addr(b.data + dram_hdr, 0x40000000u);
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
    /* at the top of DRAM exactly: fine as far as placement goes (the hash then differs) */
    put_addr(b.data + dram_hdr, 0x40000000u - 0x100u);
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_HASH);
    /* below 0x10000000 the bootloader loads nothing: padding, allowed */
    put_addr(b.data + dram_hdr, 0x0);
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_HASH);
    buf_free(&b);

    /* A chip without a known map: the builder and the verifier refuse it. */
    struct buf c = {0};
    struct ota_image_build_params p = {"p", "v1.0.0", 0, 0x000D /* ESP32-C6 */, 8192, "", "", ""};
    assert_int_equal(ota_image_build(&p, buf_emit, &c), OTA_ERR_IMG_CHIP_MAP);
    buf_free(&c);
    b = make_image("p", "v1.0.0", 8192, OTA_CHIP_ESP32);
    b.data[12] = 0x0D;
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_CHIP_MAP);
    o.is_app = false;  /* image info reports any chip */
    assert_int_equal(verify(&b, &o), OTA_ERR_IMG_HASH);
    buf_free(&b);
}

/* A mapped segment must end inside its window (mmu_hal_map_region() asserts
 * mmu_hal_check_valid_ext_vaddr_region() over the whole length): the
 * builder refuses a size whose segment 0 would run past the DROM window,
 * the verifier a segment that starts inside and runs past it. */
static void mapped_segment_stays_in_its_window(void **state)
{
    (void)state;
    static const struct { uint16_t chip; uint32_t drom_hi; } chips[] = {
        {OTA_CHIP_ESP32, 0x3F800000u}, {OTA_CHIP_ESP32S2, 0x3FF80000u},
        {OTA_CHIP_ESP32C3, 0x3C800000u}, {OTA_CHIP_ESP32S3, 0x3E000000u},
    };
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        uint32_t max = ota_image_build_max_size(chips[i].chip);
        struct ota_image_build_params p = {"p", "v1.0.0", 0, chips[i].chip, max + 16u, "", "", ""};
        struct buf b = {0};
        assert_int_equal(ota_image_build(&p, buf_emit, &b), OTA_ERR_IMG_LOAD_ADDR);
        buf_free(&b);
        if (chips[i].chip == OTA_CHIP_ESP32 || chips[i].chip == OTA_CHIP_ESP32C3) {  /* the big ones: slow */
            p.size = max;
            assert_int_equal(ota_image_build(&p, buf_emit, &b), OTA_OK);
            struct ota_image_opts o = ota_image_opts_app();
            o.chip_id = chips[i].chip;
            assert_int_equal(verify(&b, &o), OTA_OK);
            buf_free(&b);
        }
        /* a small image's segment 0 moved to the window's end */
        b = make_image("p", "v1.0.0", 8192, chips[i].chip);
        uint32_t len = get_seg_len(b.data, 0x18);
        struct ota_image_opts o = ota_image_opts_app();
        put_addr(b.data + 0x18, chips[i].drom_hi - len + 4u);
        assert_int_equal(verify(&b, &o), OTA_ERR_IMG_LOAD_ADDR);
        put_addr(b.data + 0x18, chips[i].drom_hi - len);  /* ends at the window's last byte: fits */
        assert_int_equal(verify(&b, &o), OTA_ERR_IMG_HASH);
        buf_free(&b);
    }
    assert_int_equal(ota_image_build_max_size(0x000D), 0);
}

/* Each chip id its name; any other id (also one past a byte) "unknown". */
static void chips_have_their_names(void **state)
{
    (void)state;
    static const struct {
        uint16_t id;
        const char *name;
    } chips[] = {{OTA_CHIP_ESP32, "ESP32"},       {OTA_CHIP_ESP32S2, "ESP32-S2"}, {OTA_CHIP_ESP32C3, "ESP32-C3"},
                 {OTA_CHIP_ESP32S3, "ESP32-S3"},  {0x000C, "ESP32-C2"},         {0x000D, "ESP32-C6"},
                 {0x0010, "ESP32-H2"},            {0x0012, "ESP32-P4"},         {0x0001, "unknown"},
                 {0x0100, "unknown"},             {0x0109, "unknown"},          {0xFFFF, "unknown"}};
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        assert_string_equal(ota_chip_name(chips[i].id), chips[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chips_have_their_names),
        cmocka_unit_test(built_image_verifies_in_any_chunking),
        cmocka_unit_test(builder_is_deterministic_and_sized),
        cmocka_unit_test(truncated_at_many_lengths),
        cmocka_unit_test(desc_is_ready_before_the_payload),
        cmocka_unit_test(trailing_bytes_are_counted_not_verified),
        cmocka_unit_test(malformed_images_get_specific_errors),
        cmocka_unit_test(checksum_catches_a_flip_anywhere),
        cmocka_unit_test(errors_are_sticky),
        cmocka_unit_test(verify_in_flash),
        cmocka_unit_test(each_chip_has_its_own_memory_map),
        cmocka_unit_test(segment_placement_rules),
        cmocka_unit_test(mapped_segment_stays_in_its_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
