/* The bootloader's choice, fallback and rollback transitions on a seed device. */
#include <string.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/otadata.h"

static struct ota_ptable table;
static struct ota_boot_result res;
static const struct ota_boot_opts esp32 = {false, OTA_CHIP_ESP32, 300, NULL, 0, false};
static const struct ota_boot_opts esp32_rollback = {true, OTA_CHIP_ESP32, 300, NULL, 0, false};

static void put_app(struct tmp_flash *t, const char *label, const char *project, uint16_t chip)
{
    struct buf b = make_image(project, "v1.0.0", 64 * 1024, chip);
    write_partition(t, ota_pt_find_label(&table, label), b.data, b.len);
    buf_free(&b);
}

static void select_slot(struct tmp_flash *t, unsigned slot, bool rollback)
{
    struct ota_otadata od;
    const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
    assert_int_equal(ota_otadata_read(&t->hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_select(&t->hf.flash, p, &od, slot, 2, rollback), OTA_OK);
}

static void corrupt(struct tmp_flash *t, const char *label, uint32_t at)
{
    uint8_t zero = 0;
    assert_int_equal(ota_flash_program(&t->hf.flash, ota_pt_find_label(&table, label)->offset + at, &zero, 1),
                     OTA_OK);
}

static void fresh_device_boots_ota0_and_records_seq1(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "ota_example", OTA_CHIP_ESP32);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.chosen, 0);
    assert_int_equal(res.booted, 0);
    assert_string_equal(res.part.label, "ota_0");
    assert_string_equal(res.info.desc.project_name, "ota_example");
    assert_false(res.fell_back);
    /* "Set actual ota_seq=1 in otadata[0]" */
    struct ota_otadata od;
    assert_int_equal(ota_otadata_read(&t.hf.flash, ota_pt_find_label(&table, "otadata"), &od), OTA_OK);
    assert_int_equal(od.copy[0].seq, 1);
    assert_int_equal(od.copy[0].state, OTA_IMG_VALID);
    tmp_flash_destroy(&t);
}

static void selected_slot_boots_and_corrupt_one_falls_back(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "ota_example", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "play_mp3_control", OTA_CHIP_ESP32);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    select_slot(&t, 1, false);
    tmp_flash_reopen(&t);  /* restart */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_1");
    assert_string_equal(res.info.desc.project_name, "play_mp3_control");

    corrupt(&t, "ota_1", 5000);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.chosen, 1);
    assert_int_equal(res.booted, 0);
    assert_true(res.fell_back);
    assert_string_equal(res.info.desc.project_name, "ota_example");
    tmp_flash_destroy(&t);
}

static void fallback_goes_down_then_up(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    put_app(&t, "ota_1", "second", OTA_CHIP_ESP32);
    /* otadata blank -> chosen ota_0, which is erased -> then ota_1 (upwards). */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.chosen, 0);
    assert_int_equal(res.booted, 1);
    assert_true(res.fell_back);
    tmp_flash_destroy(&t);
}

static void nothing_bootable(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_ERR_BOOT_NO_APP);
    put_app(&t, "ota_0", "s2_app", OTA_CHIP_ESP32S2);  /* wrong chip */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_ERR_BOOT_NO_APP);
    tmp_flash_destroy(&t);
}

static void broken_table_is_refused(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    uint8_t zero = 0;
    assert_int_equal(ota_flash_program(&t.hf.flash, OTA_PT_OFFSET + 0x2C, &zero, 1), OTA_OK);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_ERR_PT_MD5);
    tmp_flash_destroy(&t);
}

static void bad_crc_otadata_counts_as_blank(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "a", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "b", OTA_CHIP_ESP32);
    select_slot(&t, 1, false);
    /* clear a bit of the CRC of copy 0 (the one select wrote) */
    corrupt(&t, "otadata", 28);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    tmp_flash_destroy(&t);
}

static void factory_when_otadata_blank(void **state)
{
    (void)state;
    struct tmp_flash t;
    static const char csv[] = "nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\n"
                              "factory, app, factory, , 512K\nota_0, app, ota_0, , 512K\n";
    struct ota_pt_diag d;
    uint8_t bin[OTA_PT_LEN];
    tmp_flash_create(&t, 2u * 1024 * 1024);
    assert_int_equal(ota_pt_parse_csv(csv, strlen(csv), t.hf.flash.size, &table, &d), OTA_OK);
    ota_pt_to_binary(&table, bin);
    assert_int_equal(ota_flash_program(&t.hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
    put_app(&t, "factory", "factory_app", OTA_CHIP_ESP32);
    put_app(&t, "ota_0", "ota_app", OTA_CHIP_ESP32);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.booted, OTA_BOOT_FACTORY);
    assert_string_equal(res.info.desc.project_name, "factory_app");
    /* ota_0 corrupt and selected: falls down to factory */
    struct ota_otadata od;
    const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 1, false), OTA_OK);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    corrupt(&t, "ota_0", 3000);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.booted, OTA_BOOT_FACTORY);
    tmp_flash_destroy(&t);
}

static void rollback_trial_boot_then_abort(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "old", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "new", OTA_CHIP_ESP32);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    select_slot(&t, 1, true);  /* state NEW */
    /* First boot of the new app: NEW -> PENDING_VERIFY. */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_1");
    assert_int_equal(res.otadata_state, OTA_IMG_PENDING_VERIFY);
    /* Restart without the app marking itself valid: ABORTED, the old app boots. */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    assert_int_equal(res.otadata_state, OTA_IMG_VALID);
    /* and stays there */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    tmp_flash_destroy(&t);
}

static void rollback_trial_boot_then_valid(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_otadata od;
    make_seed_device(&t, &table);
    const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
    put_app(&t, "ota_0", "old", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "new", OTA_CHIP_ESP32);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    select_slot(&t, 1, true);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_int_equal(res.otadata_state, OTA_IMG_PENDING_VERIFY);
    /* the app's self-test passes: mark valid */
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_VALID), OTA_OK);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_1");
    assert_int_equal(res.otadata_state, OTA_IMG_VALID);
    /* the app's self-test fails instead: mark invalid -> previous app */
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_INVALID), OTA_OK);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    tmp_flash_destroy(&t);
}

static void read_od(struct tmp_flash *t, struct ota_otadata *od)
{
    assert_int_equal(ota_otadata_read(&t->hf.flash, ota_pt_find_label(&table, "otadata"), od), OTA_OK);
}

static void put_copy(struct tmp_flash *t, int idx, uint32_t seq, uint32_t st)
{
    struct ota_otadata od;
    struct ota_select_entry e;
    memset(&e, 0xFF, sizeof(e));
    e.seq = seq;
    e.state = st;
    e.crc = ota_otadata_crc(seq);
    read_od(t, &od);
    assert_int_equal(ota_otadata_write(&t->hf.flash, ota_pt_find_label(&table, "otadata"), &od, idx, &e), OTA_OK);
}

static void make_csv_device(struct tmp_flash *t, const char *csv)
{
    struct ota_pt_diag d;
    uint8_t bin[OTA_PT_LEN];
    tmp_flash_create(t, 4u * 1024 * 1024);
    assert_int_equal(ota_pt_parse_csv(csv, strlen(csv), t->hf.flash.size, &table, &d), OTA_OK);
    ota_pt_to_binary(&table, bin);
    assert_int_equal(ota_flash_program(&t->hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
}

/* set_actual_ota_seq() writes only when ota_has_initial_contents: both
 * copies blank or with a bad CRC. A copy the app just marked INVALID (right
 * CRC) is not initial: the boot tries ota_0 and writes nothing. */
static void dead_but_not_blank_otadata_is_not_rewritten(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_otadata before, after;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "marked_invalid", OTA_CHIP_ESP32);
    put_copy(&t, 0, 1, OTA_IMG_INVALID);
    read_od(&t, &before);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_string_equal(res.part.label, "ota_0");
    read_od(&t, &after);
    assert_memory_equal(&after, &before, sizeof(before));  /* still INVALID, not re-validated */
    assert_int_equal(after.copy[0].state, OTA_IMG_INVALID);
    tmp_flash_destroy(&t);
}

/* bootloader_utility_get_selected_boot_partition(), rollback on: every
 * PENDING_VERIFY copy becomes ABORTED, not only the active one. */
static void rollback_aborts_both_pending_copies(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_otadata od;
    make_seed_device(&t, &table);
    put_app(&t, "ota_0", "a", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "b", OTA_CHIP_ESP32);
    put_copy(&t, 0, 1, OTA_IMG_PENDING_VERIFY);
    put_copy(&t, 1, 2, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    read_od(&t, &od);
    assert_int_equal(od.copy[0].state, OTA_IMG_ABORTED);
    assert_int_equal(od.copy[1].state, OTA_IMG_ABORTED);
    /* both dead: "No factory image, trying OTA 0", and nothing written */
    assert_string_equal(res.part.label, "ota_0");
    assert_int_equal(od.copy[0].seq, 1);
    tmp_flash_destroy(&t);
}

/* The bootloader marks a NEW choice PENDING_VERIFY before loading it. When
 * it does not verify, the fallback boots; the next boot aborts the trial
 * and takes the other copy's slot, not the fallback again. */
static void new_choice_that_fails_is_pending_then_aborted(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_otadata od;
    make_csv_device(&t, "nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\n"
                        "ota_0, app, ota_0, , 512K\nota_1, app, ota_1, , 512K\nota_2, app, ota_2, , 512K\n");
    put_app(&t, "ota_0", "zero", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "one", OTA_CHIP_ESP32);
    put_app(&t, "ota_2", "two", OTA_CHIP_ESP32);
    put_copy(&t, 1, 3, OTA_IMG_VALID);  /* ota_2, confirmed */
    put_copy(&t, 0, 4, OTA_IMG_NEW);    /* ota_0 selected for a trial */
    corrupt(&t, "ota_0", 5000);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    assert_int_equal(res.chosen, 0);
    assert_string_equal(res.part.label, "ota_1");  /* down: no factory; then up */
    assert_int_equal(res.otadata_state, OTA_IMG_UNDEFINED);  /* ota_1 is named by no copy: not on trial */
    read_od(&t, &od);
    assert_int_equal(od.copy[0].state, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32_rollback, &res), OTA_OK);
    read_od(&t, &od);
    assert_int_equal(od.copy[0].state, OTA_IMG_ABORTED);
    assert_int_equal(res.chosen, 2);
    assert_string_equal(res.part.label, "ota_2");
    assert_int_equal(res.otadata_state, OTA_IMG_VALID);
    tmp_flash_destroy(&t);
}

/* ota_0, ota_1, ota_3: esp_ota_get_app_partition_count() says 2 (the app
 * maps seq over 2 and cannot select ota_3), the bootloader counts 3 rows and
 * maps over 3, and never tries index 3. */
static void gap_in_ota_slots_maps_as_esp_idf(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct ota_otadata od;
    const struct ota_partition *slots[16];
    make_csv_device(&t, "nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\n"
                        "ota_0, app, ota_0, , 512K\nota_1, app, ota_1, , 512K\nota_3, app, ota_3, , 512K\n");
    unsigned count = ota_boot_ota_slots(&table, slots);
    assert_int_equal(count, 2);
    assert_int_equal(ota_boot_slot_count(&table), 3);
    put_app(&t, "ota_0", "zero", OTA_CHIP_ESP32);
    put_app(&t, "ota_1", "one", OTA_CHIP_ESP32);
    put_app(&t, "ota_3", "three", OTA_CHIP_ESP32);
    const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
    read_od(&t, &od);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 3, count, false), OTA_ERR_OTADATA_NO_SLOT);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, count, false), OTA_OK);  /* seq 1 */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, count, false), OTA_OK);  /* seq 2 */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, count, false), OTA_OK);  /* seq 3 */
    assert_int_equal(od.copy[0].seq, 3);
    /* (3 - 1) % 3 = 2: no ota_2; down from there, ota_1 boots */
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_OK);
    assert_int_equal(res.chosen, 2);
    assert_string_equal(res.part.label, "ota_1");
    /* ota_3 is past the bootloader's app_count: never tried */
    corrupt(&t, "ota_0", 5000);
    corrupt(&t, "ota_1", 5000);
    assert_int_equal(ota_boot(&t.hf.flash, &esp32, &res), OTA_ERR_BOOT_NO_APP);
    tmp_flash_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_device_boots_ota0_and_records_seq1),
        cmocka_unit_test(selected_slot_boots_and_corrupt_one_falls_back),
        cmocka_unit_test(fallback_goes_down_then_up),
        cmocka_unit_test(nothing_bootable),
        cmocka_unit_test(broken_table_is_refused),
        cmocka_unit_test(bad_crc_otadata_counts_as_blank),
        cmocka_unit_test(factory_when_otadata_blank),
        cmocka_unit_test(rollback_trial_boot_then_abort),
        cmocka_unit_test(rollback_trial_boot_then_valid),
        cmocka_unit_test(dead_but_not_blank_otadata_is_not_rewritten),
        cmocka_unit_test(rollback_aborts_both_pending_copies),
        cmocka_unit_test(new_choice_that_fails_is_pending_then_aborted),
        cmocka_unit_test(gap_in_ota_slots_maps_as_esp_idf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
