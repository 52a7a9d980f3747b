/* The ESP-IDF port's serial store on the emulated flash: a new device,
 * round trips, the copies in turn, a power cut at every flash operation
 * of a save, and damage. */
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/idf_serial.h"

static const struct ota_partition part = {OTA_PT_TYPE_DATA, 0x99, 0x10000, 0x2000, 0, "ota_serial"};

static struct ota_release_record rec_of(uint32_t serial)
{
    struct ota_release_record r;
    memset(&r, 0, sizeof(r));
    r.serial = serial;
    r.rolled_back_serial = serial / 2;
    memset(r.rolled_back_sha256, (int)(serial & 0xFF), sizeof(r.rolled_back_sha256));
    return r;
}

static void fresh_device_round_trip_and_turns(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_idf_serial_store s;
    struct ota_release_record got;
    tmp_flash_create(&t, 0x100000);
    assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
    assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);
    assert_int_equal(got.serial, 0);  /* erased: a new device */
    for (uint32_t n = 1; n <= 5; n++) {
        struct ota_release_record r = rec_of(n * 10);
        assert_int_equal(s.store.save(s.store.ctx, &r), OTA_OK);
        assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);
        assert_memory_equal(&got, &r, sizeof(r));
    }
    struct ota_partition small = part;
    small.size = 0x1000;
    assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &small), OTA_ERR_INVALID_ARG);
    tmp_flash_destroy(&t);
}

/* A power cut at each flash operation of a save: the record read after
 * power returns is the old one or the new one, never an error or 0. */
static void a_power_cut_keeps_old_or_new(void **state)
{
    (void)state;
    for (uint64_t cut = 1; cut <= 3; cut++) {
        for (uint32_t before = 0; before < 3; before++) {  /* cut the 1st, 2nd, 3rd save */
            struct tmp_flash t;
            struct ota_idf_serial_store s;
            struct ota_release_record got, r;
            tmp_flash_create(&t, 0x100000);
            assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
            for (uint32_t k = 1; k <= before; k++) {
                r = rec_of(k);
                assert_int_equal(s.store.save(s.store.ctx, &r), OTA_OK);
            }
            t.hf.cut_at = t.hf.count.ops + cut;
            t.hf.cut_mode = OTA_CUT_TORN;
            t.hf.cut_seed = (uint32_t)(cut * 7 + before);
            r = rec_of(before + 1);
            int err = s.store.save(s.store.ctx, &r);
            tmp_flash_reopen(&t);
            assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
            assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);
            if (err == OTA_OK) {
                assert_int_equal(got.serial, before + 1);
            } else {
                assert_true(got.serial == before || got.serial == before + 1);
            }
            tmp_flash_destroy(&t);
        }
    }
}

/* The second copy torn and the first erased (no record yet): a save cut
 * halfway must not leave two torn copies. Found by fuzz_idf_serial. */
static void a_cut_save_over_a_torn_second_copy(void **state)
{
    (void)state;
    static const uint8_t junk[4] = {0x7F, 0, 1, 2};
    for (uint64_t cut = 1; cut <= 2; cut++) {
        struct tmp_flash t;
        struct ota_idf_serial_store s;
        struct ota_release_record got, r = rec_of(9);
        tmp_flash_create(&t, 0x100000);
        assert_int_equal(ota_flash_program(&t.hf.flash, part.offset + 0x1000 + 12, junk, sizeof(junk)), OTA_OK);
        assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
        assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);
        assert_int_equal(got.serial, 0);
        t.hf.cut_at = t.hf.count.ops + cut;
        t.hf.cut_mode = OTA_CUT_TORN;
        t.hf.cut_seed = (uint32_t)cut;
        (void)s.store.save(s.store.ctx, &r);
        tmp_flash_reopen(&t);
        assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
        assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);
        assert_true(got.serial == 0 || got.serial == 9);
        tmp_flash_destroy(&t);
    }
}

static void both_copies_damaged_is_an_error(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_idf_serial_store s;
    struct ota_release_record got, r = rec_of(9);
    static const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    tmp_flash_create(&t, 0x100000);
    assert_int_equal(ota_idf_serial_store_init(&s, &t.hf.flash, &part), OTA_OK);
    assert_int_equal(s.store.save(s.store.ctx, &r), OTA_OK);
    assert_int_equal(s.store.save(s.store.ctx, &r), OTA_OK);
    /* NOR programs only clear bits: junk over both copies breaks their CRCs */
    assert_int_equal(ota_flash_program(&t.hf.flash, part.offset + 8, junk, sizeof(junk)), OTA_OK);
    assert_int_equal(s.store.load(s.store.ctx, &got), OTA_OK);  /* one whole copy left */
    assert_int_equal(got.serial, 9);
    assert_int_equal(ota_flash_program(&t.hf.flash, part.offset + 0x1000 + 8, junk, sizeof(junk)), OTA_OK);
    assert_int_equal(s.store.load(s.store.ctx, &got), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(got.serial, 0);
    assert_int_equal(s.store.save(s.store.ctx, &r), OTA_ERR_RELEASE_RECORD);  /* not papered over */
    tmp_flash_destroy(&t);
}

static void hex_digest_exactly_64_digits(void **state)
{
    (void)state;
    uint8_t d[32], keep[32];
    const char *good = "3BB488AF9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2bc";
    assert_int_equal(ota_idf_hex_digest(good, d), OTA_OK);
    assert_int_equal(d[0], 0x3B);
    assert_int_equal(d[4], 0x9E);
    assert_int_equal(d[31], 0xBC);
    memset(keep, 0x5A, sizeof(keep));
    const char *bad[] = {"", "3bb4", "3bb488af9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2bc00",
                         "3bb488af9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2bg",
                         " 3bb488af9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2b", NULL};
    for (int i = 0; bad[i]; i++) {
        memcpy(d, keep, sizeof(d));
        assert_int_equal(ota_idf_hex_digest(bad[i], d), OTA_ERR_INVALID_ARG);
        assert_memory_equal(d, keep, sizeof(d)); /* refused: nothing written */
    }
    assert_int_equal(ota_idf_hex_digest(NULL, d), OTA_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_device_round_trip_and_turns),
        cmocka_unit_test(a_power_cut_keeps_old_or_new),
        cmocka_unit_test(a_cut_save_over_a_torn_second_copy),
        cmocka_unit_test(both_copies_damaged_is_an_error),
        cmocka_unit_test(hex_digest_exactly_64_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
