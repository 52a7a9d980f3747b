/* The host port's device object: power-on (boot, self-test, rollback, the
 * running record) and what runs, on a seed device in a temporary file. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/host_power.h"
#include "ota/host_running.h"
#include "ota/otadata.h"

static struct ota_ptable table;
static struct ota_host_power_result res;
static const struct ota_device_props esp32 = {.chip = OTA_CHIP_ESP32, .chip_known = true};
static const struct ota_device_props esp32_rollback = {.chip = OTA_CHIP_ESP32, .chip_known = true, .rollback = true};

static void put_app(struct tmp_flash *t, const char *label, const char *project)
{
    struct buf b = make_image(project, "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(t, ota_pt_find_label(&table, label), b.data, b.len);
    buf_free(&b);
}

static void select_ota1(struct tmp_flash *t, bool rollback)
{
    struct ota_otadata od;
    const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
    assert_int_equal(ota_otadata_read(&t->hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_select(&t->hf.flash, p, &od, 1, 2, rollback), OTA_OK);
}

static void device(struct tmp_flash *t)
{
    make_seed_device(t, &table);
    put_app(t, "ota_0", "old");
    put_app(t, "ota_1", "new");
}

static void side_file(const struct tmp_flash *t, const char *suffix, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", t->path, suffix);
}

static void destroy(struct tmp_flash *t)
{
    static const char *const suffixes[] = {".running", ".efuse", ".device"};
    char p[96];
    for (unsigned i = 0; i < 3; i++) {
        side_file(t, suffixes[i], p, sizeof(p));
        unlink(p);
    }
    tmp_flash_destroy(t);
}

static uint32_t recorded_offset(const struct tmp_flash *t)
{
    struct ota_host_running rec;
    assert_int_equal(ota_host_running_load(t->path, &rec), OTA_OK);
    return rec.offset;
}

static void failed_self_test_rolls_back_and_says_why(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    /* First power-on: ota_0 boots and the bootloader records it (seq 1), so
     * there is an app to roll back to (esp_ota_check_rollback_is_possible). */
    assert_int_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32_rollback, OTA_HOST_SELF_TEST_PASS, NULL, &res),
                     OTA_OK);
    select_ota1(&t, true);
    assert_int_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32_rollback, OTA_HOST_SELF_TEST_FAIL, NULL, &res),
                     OTA_OK);
    assert_true(res.trial);
    assert_int_equal(res.boots, 2);
    assert_string_equal(res.boot[0].part.label, "ota_1");
    assert_string_equal(res.boot[1].part.label, "ota_0");
    assert_int_equal(res.rolled_back, OTA_HOST_ROLLBACK_SELF_TEST_FAILED);
    assert_int_equal(res.record_err, OTA_OK);
    assert_int_equal(recorded_offset(&t), res.boot[1].part.offset);  /* what runs is the app it rolled back to */
    destroy(&t);
}

static void passed_self_test_keeps_the_new_app(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    select_ota1(&t, true);
    assert_int_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32_rollback, OTA_HOST_SELF_TEST_PASS, NULL, &res),
                     OTA_OK);
    assert_int_equal(res.boots, 1);
    assert_int_equal(res.rolled_back, OTA_HOST_ROLLBACK_NONE);
    assert_int_equal(recorded_offset(&t), ota_pt_find_label(&table, "ota_1")->offset);
    destroy(&t);
}

static void an_app_that_does_not_verify_is_a_rollback_too(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t zero = 0;
    device(&t);
    select_ota1(&t, false);
    assert_int_equal(ota_flash_program(&t.hf.flash, ota_pt_find_label(&table, "ota_1")->offset + 5000, &zero, 1),
                     OTA_OK);
    assert_int_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res), OTA_OK);
    assert_string_equal(res.boot[0].part.label, "ota_0");
    assert_int_equal(res.rolled_back, OTA_HOST_ROLLBACK_NOT_BOOTED);
    destroy(&t);
}

/* The record is believed only while the flash holds the recorded image. */
static void a_stale_record_makes_the_device_boot_first(void **state)
{
    (void)state;
    struct tmp_flash t;
    enum ota_host_fresh_reason fresh;
    uint32_t offset = 0;
    device(&t);
    select_ota1(&t, false);
    assert_int_equal(ota_host_running_app(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res, &fresh,
                                          &offset), OTA_OK);
    assert_int_equal(fresh, OTA_HOST_FRESH_NO_RECORD);
    assert_int_equal(res.boots, 1);
    assert_int_equal(offset, ota_pt_find_label(&table, "ota_1")->offset);
    assert_int_equal(ota_host_running_app(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res, &fresh,
                                          &offset), OTA_OK);
    assert_int_equal(fresh, OTA_HOST_FRESH_NONE);  /* believed: no power-on */
    assert_int_equal(res.boots, 0);
    /* ota_1 rewritten behind the device's back (esptool, cp): freshly flashed. */
    put_app(&t, "ota_1", "other");
    assert_int_equal(ota_host_running_app(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res, &fresh,
                                          &offset), OTA_OK);
    assert_int_equal(fresh, OTA_HOST_FRESH_STALE);
    assert_string_equal(res.boot[0].info.desc.project_name, "other");
    /* A record that is not ours is never believed. */
    char p[96];
    side_file(&t, ".running", p, sizeof(p));
    put_file("/", p + 1, "running_app_offset=0x110000\n", 28);
    assert_int_equal(ota_host_running_app(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res, &fresh,
                                          &offset), OTA_OK);
    assert_int_equal(fresh, OTA_HOST_FRESH_MALFORMED);
    destroy(&t);
}

/* A power-on forgets the old record first: when nothing boots, none is left. */
static void a_failed_power_on_leaves_no_record(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    assert_int_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res), OTA_OK);
    assert_int_equal(ota_flash_erase(&t.hf.flash, ota_pt_find_label(&table, "ota_0")->offset, 64 * 1024), OTA_OK);
    assert_int_equal(ota_flash_erase(&t.hf.flash, ota_pt_find_label(&table, "ota_1")->offset, 64 * 1024), OTA_OK);
    assert_int_not_equal(ota_host_power_on(&t.hf.flash, t.path, &esp32, OTA_HOST_SELF_TEST_PASS, NULL, &res), OTA_OK);
    assert_int_equal(res.failed_step, OTA_HOST_STEP_BOOT);
    struct ota_host_running rec;
    assert_int_equal(ota_host_running_load(t.path, &rec), OTA_ERR_NOT_FOUND);
    destroy(&t);
}

/* The record's text: exactly its three lines. */
static void the_record_parser_refuses_what_it_did_not_write(void **state)
{
    (void)state;
    struct ota_host_running r;
    char good[200];
    int n = snprintf(good, sizeof(good), "running_app_offset=0x10000\nrunning_app_length=4096\nrunning_app_sha256=%064d\n", 0);
    assert_int_equal(ota_host_running_parse(good, (size_t)n, &r), OTA_OK);
    assert_int_equal(r.offset, 0x10000);
    assert_int_equal(r.length, 4096);
    assert_int_equal(ota_host_running_parse(good, (size_t)n - 1, &r), OTA_OK);  /* last newline optional */
    assert_int_equal(ota_host_running_parse(good, (size_t)n - 2, &r), OTA_ERR_CONFIG_SYNTAX);  /* digest short */
    assert_int_equal(ota_host_running_parse("", 0, &r), OTA_ERR_CONFIG_SYNTAX);
    assert_int_equal(ota_host_running_parse(good, 27, &r), OTA_ERR_CONFIG_SYNTAX);  /* the old one-line record */
    char twice[400];
    int m = snprintf(twice, sizeof(twice), "%s%s", good, good);
    assert_int_equal(ota_host_running_parse(twice, (size_t)m, &r), OTA_ERR_CONFIG_SYNTAX);
    good[30] = '\0';  /* a NUL inside */
    assert_int_equal(ota_host_running_parse(good, (size_t)n, &r), OTA_ERR_CONFIG_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_self_test_rolls_back_and_says_why),
        cmocka_unit_test(passed_self_test_keeps_the_new_app),
        cmocka_unit_test(an_app_that_does_not_verify_is_a_rollback_too),
        cmocka_unit_test(a_stale_record_makes_the_device_boot_first),
        cmocka_unit_test(a_failed_power_on_leaves_no_record),
        cmocka_unit_test(the_record_parser_refuses_what_it_did_not_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
