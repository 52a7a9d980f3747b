/* NOR semantics of the host flash emulator and the core's flash choke point. */
#include <string.h>

#include "helpers.h"
#include "ota/error.h"

#define SIZE (256u * 1024u)

static void fresh_flash_reads_erased(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t buf[64];
    tmp_flash_create(&t, SIZE);
    assert_int_equal(ota_flash_read(&t.hf.flash, SIZE - 64, buf, 64), OTA_OK);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(buf[i], 0xFF);
    }
    tmp_flash_destroy(&t);
}

static void program_only_clears_bits(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t a = 0xF0, b = 0x3C, r;
    tmp_flash_create(&t, SIZE);
    assert_int_equal(ota_flash_program(&t.hf.flash, 10, &a, 1), OTA_OK);
    assert_int_equal(ota_flash_program(&t.hf.flash, 10, &b, 1), OTA_OK);
    assert_int_equal(ota_flash_read(&t.hf.flash, 10, &r, 1), OTA_OK);
    assert_int_equal(r, 0xF0 & 0x3C);
    /* Writing 0xFF over data changes nothing. */
    a = 0xFF;
    assert_int_equal(ota_flash_program(&t.hf.flash, 10, &a, 1), OTA_OK);
    assert_int_equal(ota_flash_read(&t.hf.flash, 10, &r, 1), OTA_OK);
    assert_int_equal(r, 0x30);
    /* Erase brings it back. */
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0, OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_flash_read(&t.hf.flash, 10, &r, 1), OTA_OK);
    assert_int_equal(r, 0xFF);
    tmp_flash_destroy(&t);
}

/* The emulator ANDs a machine word at a time: every offset and length in a
 * page (head, whole words, tail) must still clear exactly old & new, and
 * leave the bytes around it alone; checked against a byte-wise model. */
static void program_ands_every_span_exactly(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t model[OTA_FLASH_PAGE_SIZE];
    uint8_t data[OTA_FLASH_PAGE_SIZE];
    uint8_t got[OTA_FLASH_PAGE_SIZE];
    uint32_t seed = 12345;
    tmp_flash_create(&t, SIZE);
    memset(model, 0xFF, sizeof(model));
    for (uint32_t off = 0; off < 24; off++) {
        for (uint32_t len = 1; off + len <= OTA_FLASH_PAGE_SIZE; len += 7) {
            for (uint32_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                /* mostly set bits, so the page does not reach all-zero early */
                data[i] = (uint8_t)((seed >> 16) | (seed >> 9) | (seed >> 3));
                model[off + i] &= data[i];
            }
            assert_int_equal(ota_flash_program(&t.hf.flash, 4096 + off, data, len), OTA_OK);
        }
        assert_int_equal(ota_flash_read(&t.hf.flash, 4096, got, sizeof(got)), OTA_OK);
        assert_memory_equal(got, model, sizeof(model));
    }
    /* the pages on either side are untouched */
    assert_int_equal(ota_flash_read(&t.hf.flash, 4096 - 8, got, 8), OTA_OK);
    assert_memory_equal(got, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
    assert_int_equal(ota_flash_read(&t.hf.flash, 4096 + OTA_FLASH_PAGE_SIZE, got, 8), OTA_OK);
    assert_memory_equal(got, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
    /* One cleared bit in a sector's very last byte is erased with the rest. */
    uint8_t last = 0x7F;
    assert_int_equal(ota_flash_program(&t.hf.flash, 2 * 4096 - 1, &last, 1), OTA_OK);
    assert_int_equal(ota_flash_erase(&t.hf.flash, 4096, OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_flash_read(&t.hf.flash, 2 * 4096 - 1, &last, 1), OTA_OK);
    assert_int_equal(last, 0xFF);
    assert_int_equal(ota_flash_read(&t.hf.flash, 4096, got, sizeof(got)), OTA_OK);
    memset(model, 0xFF, sizeof(model));
    assert_memory_equal(got, model, sizeof(model));
    tmp_flash_destroy(&t);
}

static void programs_are_split_at_pages(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t data[600], back[600];
    for (int i = 0; i < 600; i++) {
        data[i] = (uint8_t)(i * 7);
    }
    tmp_flash_create(&t, SIZE);
    /* 600 bytes from 0x1F0: 16 + 256 + 256 + 72 -> 4 page programs */
    assert_int_equal(ota_flash_program(&t.hf.flash, 0x1F0, data, sizeof(data)), OTA_OK);
    assert_int_equal(t.hf.count.programs, 4);
    assert_int_equal(t.hf.count.bytes_programmed, 600);
    assert_int_equal(ota_flash_read(&t.hf.flash, 0x1F0, back, sizeof(back)), OTA_OK);
    assert_memory_equal(data, back, sizeof(data));
    /* The emulator itself refuses a program across a page, as the chip would wrap. */
    assert_int_equal(t.hf.flash.program(t.hf.flash.ctx, 0xF0, data, 32), OTA_ERR_ALIGN);
    tmp_flash_destroy(&t);
}

static void erase_alignment_and_blocks(void **state)
{
    (void)state;
    struct tmp_flash t;
    tmp_flash_create(&t, SIZE);
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0x800, OTA_FLASH_SECTOR_SIZE), OTA_ERR_ALIGN);
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0x1000, 0x800), OTA_ERR_ALIGN);
    assert_int_equal(t.hf.flash.erase(t.hf.flash.ctx, 0x1000, OTA_FLASH_BLOCK_SIZE), OTA_ERR_ALIGN);
    ota_host_flash_reset_counters(&t.hf);
    /* 0xF000..0x31000: 1 sector, 2 blocks, 1 sector */
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0xF000, 0x22000), OTA_OK);
    assert_int_equal(t.hf.count.sector_erases, 2);
    assert_int_equal(t.hf.count.block_erases, 2);
    assert_int_equal(t.hf.count.ops, 4);
    tmp_flash_destroy(&t);
}

static void out_of_bounds_is_refused(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t b[8] = {0};
    tmp_flash_create(&t, SIZE);
    assert_int_equal(ota_flash_read(&t.hf.flash, SIZE - 4, b, 8), OTA_ERR_OUT_OF_BOUNDS);
    assert_int_equal(ota_flash_program(&t.hf.flash, SIZE, b, 1), OTA_ERR_OUT_OF_BOUNDS);
    assert_int_equal(ota_flash_erase(&t.hf.flash, SIZE, OTA_FLASH_SECTOR_SIZE), OTA_ERR_OUT_OF_BOUNDS);
    assert_int_equal(ota_flash_read(&t.hf.flash, 0xFFFFFFF0u, b, 0x20), OTA_ERR_OUT_OF_BOUNDS);
    tmp_flash_destroy(&t);
}

static void clean_cut_stops_the_nth_operation(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t zero[16] = {0}, r[16];
    tmp_flash_create(&t, SIZE);
    t.hf.cut_at = 2;
    t.hf.cut_mode = OTA_CUT_CLEAN;
    assert_int_equal(ota_flash_program(&t.hf.flash, 0, zero, 16), OTA_OK);        /* op 1 */
    assert_int_equal(ota_flash_program(&t.hf.flash, 256, zero, 16), OTA_ERR_POWER_LOST); /* op 2 */
    /* Powered off: nothing works until power returns. */
    assert_int_equal(ota_flash_read(&t.hf.flash, 0, r, 16), OTA_ERR_POWER_LOST);
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0, OTA_FLASH_SECTOR_SIZE), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_flash_read(&t.hf.flash, 0, r, 16), OTA_OK);
    assert_memory_equal(r, zero, 16);
    assert_int_equal(ota_flash_read(&t.hf.flash, 256, r, 16), OTA_OK);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(r[i], 0xFF);  /* the cut program never happened */
    }
    tmp_flash_destroy(&t);
}

static void torn_program_clears_a_subset(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t data[256], r[256];
    memset(data, 0x00, sizeof(data));
    tmp_flash_create(&t, SIZE);
    t.hf.cut_at = 1;
    t.hf.cut_mode = OTA_CUT_TORN;
    t.hf.cut_seed = 42;
    assert_int_equal(ota_flash_program(&t.hf.flash, 0, data, sizeof(data)), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_flash_read(&t.hf.flash, 0, r, sizeof(r)), OTA_OK);
    int ff = 0, zero = 0;
    for (size_t i = 0; i < sizeof(r); i++) {
        ff += r[i] == 0xFF;
        zero += r[i] == 0x00;
    }
    /* Neither untouched nor complete: some bits cleared, not all. */
    assert_true(ff < 256 && zero < 256);
    tmp_flash_destroy(&t);
}

static void torn_erase_leaves_a_mix(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t zero[256] = {0}, r[OTA_FLASH_SECTOR_SIZE];
    tmp_flash_create(&t, SIZE);
    for (uint32_t a = 0; a < OTA_FLASH_SECTOR_SIZE; a += 256) {
        assert_int_equal(ota_flash_program(&t.hf.flash, a, zero, 256), OTA_OK);
    }
    ota_host_flash_reset_counters(&t.hf);
    t.hf.cut_at = 1;
    t.hf.cut_mode = OTA_CUT_TORN;
    t.hf.cut_seed = 7;
    assert_int_equal(ota_flash_erase(&t.hf.flash, 0, OTA_FLASH_SECTOR_SIZE), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_flash_read(&t.hf.flash, 0, r, sizeof(r)), OTA_OK);
    int ff = 0;
    for (size_t i = 0; i < sizeof(r); i++) {
        assert_true(r[i] == 0xFF || r[i] == 0x00);
        ff += r[i] == 0xFF;
    }
    assert_true(ff > 0 && ff < (int)sizeof(r));
    tmp_flash_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_flash_reads_erased),
        cmocka_unit_test(program_only_clears_bits),
        cmocka_unit_test(program_ands_every_span_exactly),
        cmocka_unit_test(programs_are_split_at_pages),
        cmocka_unit_test(erase_alignment_and_blocks),
        cmocka_unit_test(out_of_bounds_is_refused),
        cmocka_unit_test(clean_cut_stops_the_nth_operation),
        cmocka_unit_test(torn_program_clears_a_subset),
        cmocka_unit_test(torn_erase_leaves_a_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
