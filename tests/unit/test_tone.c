/* Tone partition: build (formats 0 and 1), verify, and the errors. */
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

static const uint8_t file_a[] = "first tone: 13"; /* 15 bytes with NUL: padded to 16 */
static const uint8_t file_b[] = "second!";        /* 8 bytes */

static struct buf build(uint32_t format)
{
    struct buf out = {0};
    uint32_t lengths[2] = {sizeof(file_a), sizeof(file_b)};
    uint8_t types[2] = {OTA_TONE_MP3, OTA_TONE_WAV};
    struct ota_tone_build_params p = {format, 2, lengths, types, "v1.2.3", "11:41:34", "2024-02-09"};
    struct ota_tone_writer w;
    assert_int_equal(ota_tone_write_begin(&w, &p, buf_emit, &out), OTA_OK);
    assert_int_equal(ota_tone_write_data(&w, file_a, 5), OTA_OK);
    assert_int_equal(ota_tone_write_data(&w, file_a + 5, sizeof(file_a) - 5), OTA_OK);
    assert_int_equal(ota_tone_write_file_end(&w), OTA_OK);
    assert_int_equal(ota_tone_write_data(&w, file_b, sizeof(file_b)), OTA_OK);
    assert_int_equal(ota_tone_write_file_end(&w), OTA_OK);
    assert_int_equal(ota_tone_write_end(&w), OTA_OK);
    return out;
}

static void format0_layout(void **state)
{
    (void)state;
    struct buf b = build(0);
    struct ota_tone_info info;
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_OK);
    assert_int_equal(info.count, 2);
    assert_int_equal(info.format, 0);
    assert_int_equal(info.table_offset, 8);
    assert_int_equal(info.first_file_offset, 8 + 128);
    assert_int_equal(b.len, 8 + 128 + 16 + 8);
    assert_int_equal(info.files_end, b.len);
    assert_int_equal(b.data[8 + 128 + 15], 0xFF);  /* pad to 4 bytes with 0xFF */
    struct ota_tone_file f;
    assert_int_equal(ota_tone_file_at(mem_read, &b, &info, 1, &f), OTA_OK);
    assert_int_equal(f.tag, 0x28);
    assert_int_equal(f.type, OTA_TONE_WAV);
    assert_int_equal(f.offset, 8 + 128 + 16);
    assert_int_equal(f.length, sizeof(file_b));
    assert_memory_equal(b.data + f.offset, file_b, sizeof(file_b));
    /* The original's off-by-one: index == count must be refused. */
    assert_int_equal(ota_tone_file_at(mem_read, &b, &info, 2, &f), OTA_ERR_INVALID_ARG);
    buf_free(&b);
}

static void format1_layout_and_trailer(void **state)
{
    (void)state;
    struct buf b = build(1);
    struct ota_tone_info info;
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_OK);
    assert_true(info.has_desc);
    assert_int_equal(info.desc.magic, OTA_TONE_DESC_MAGIC);
    assert_string_equal(info.desc.project, "ESP_TONE_BIN");
    assert_string_equal(info.desc.version, "v1.2.3");
    assert_string_equal(info.desc.date, "2024-02-09");
    assert_int_equal(info.table_offset, 264);
    assert_int_equal(info.image_len, b.len);
    assert_int_equal(b.len, 264 + 128 + 24 + 6);
    assert_true(info.crc_valid);
    assert_int_equal(info.tail, 0xDFAC);
    /* Room after the image (a partition) does not change the verdict. */
    uint8_t ff[64];
    memset(ff, 0xFF, sizeof(ff));
    buf_emit(&b, ff, sizeof(ff));
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_OK);
    buf_free(&b);
}

static void tone_errors(void **state)
{
    (void)state;
    struct ota_tone_info info;
    struct buf b = build(1);
    uint32_t n = (uint32_t)b.len;

    b.data[0] = 0x54; /* bad tag */
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_TAG);
    b.data[0] = 0x53;

    b.data[4] = 2; /* format 2 */
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_FORMAT);
    b.data[4] = 1;

    b.data[8] ^= 1; /* descriptor magic */
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_DESC);
    b.data[8] ^= 1;

    b.data[264 + 64] = 0x29; /* entry tag */
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_TABLE);
    b.data[264 + 64] = 0x28;

    b.data[400] ^= 0x10; /* a file byte: CRC no longer matches */
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_CRC);
    assert_false(info.crc_valid);
    b.data[400] ^= 0x10;

    /* Missing tail: cut at several lengths; an incomplete image is detected. */
    assert_int_equal(ota_tone_verify(mem_read, &b, n - 1, &info), OTA_ERR_TONE_TAIL);
    assert_int_equal(ota_tone_verify(mem_read, &b, n - 6, &info), OTA_ERR_TONE_TAIL);
    b.data[n - 1] = 0xFF;
    assert_int_equal(ota_tone_verify(mem_read, &b, n, &info), OTA_ERR_TONE_TAIL);
    assert_int_equal(ota_tone_verify(mem_read, &b, n - 10, &info), OTA_ERR_TONE_TRUNCATED);
    assert_int_equal(ota_tone_verify(mem_read, &b, 300, &info), OTA_ERR_TONE_TRUNCATED);
    assert_int_equal(ota_tone_verify(mem_read, &b, 4, &info), OTA_ERR_TONE_TRUNCATED);
    buf_free(&b);

    /* A file that points past the end of the image. */
    b = build(0);
    b.data[8 + 64 + 8] = 0xFF;
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_ERR_TONE_TRUNCATED);
    /* A count that promises more entries than there are bytes. */
    b.data[8 + 64 + 8] = sizeof(file_b);
    b.data[2] = 200;
    assert_int_equal(ota_tone_verify(mem_read, &b, (uint32_t)b.len, &info), OTA_ERR_TONE_TRUNCATED);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format0_layout),
        cmocka_unit_test(format1_layout_and_trailer),
        cmocka_unit_test(tone_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
