/* otadata: CRC vectors from the formats page, choice, select, mark. */
#include <string.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/otadata.h"

static void crc_vectors(void **state)
{
    (void)state;
    assert_int_equal(ota_otadata_crc(1), 0x4743989A);
    assert_int_equal(ota_otadata_crc(2), 0x55F63774);
    assert_int_equal(ota_otadata_crc(3), 0xED4A5011);
}

/* The seed's device (helpers.c) and its otadata partition. */
static const struct ota_partition *seed_otadata(struct tmp_flash *t, struct ota_ptable *table)
{
    make_seed_device(t, table);
    const struct ota_partition *p = ota_pt_find_label(table, "otadata");
    assert_non_null(p);
    return p;
}

static struct ota_select_entry entry(uint32_t seq, uint32_t st)
{
    struct ota_select_entry e;
    memset(&e, 0xFF, sizeof(e));
    e.seq = seq;
    e.state = st;
    e.crc = ota_otadata_crc(seq);
    return e;
}

static void choosing_the_active_copy(void **state)
{
    (void)state;
    struct ota_otadata od;
    memset(&od, 0xFF, sizeof(od));
    assert_int_equal(ota_otadata_active(&od), -1);  /* both blank */
    assert_int_equal(ota_otadata_boot_slot(&od, 2), OTA_ERR_OTADATA_NONE);

    od.copy[0] = entry(1, OTA_IMG_VALID);
    od.copy[1] = entry(2, OTA_IMG_UNDEFINED);
    assert_int_equal(ota_otadata_active(&od), 1);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 1);

    od.copy[1].crc ^= 1;  /* bad CRC: copy 1 no longer counts */
    assert_int_equal(ota_otadata_active(&od), 0);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 0);

    od.copy[1] = entry(2, OTA_IMG_ABORTED);
    assert_int_equal(ota_otadata_active(&od), 0);
    od.copy[1] = entry(2, OTA_IMG_INVALID);
    assert_int_equal(ota_otadata_active(&od), 0);

    od.copy[1] = entry(1, OTA_IMG_VALID);  /* tie: copy 0 */
    assert_int_equal(ota_otadata_active(&od), 0);

    od.copy[0] = entry(5, OTA_IMG_VALID);  /* (5 - 1) % 3 */
    assert_int_equal(ota_otadata_boot_slot(&od, 3), 1);
}

static void select_writes_the_other_sector(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    const struct ota_partition *p = seed_otadata(&t, &table);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_active(&od), -1);

    /* No usable copy: copy 0 gets seq = slot + 1. */
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, false), OTA_OK);
    assert_int_equal(t.hf.count.sector_erases, 1);
    assert_int_equal(t.hf.count.programs, 1);
    assert_int_equal(od.copy[0].seq, 2);
    assert_int_equal(od.copy[0].state, OTA_IMG_UNDEFINED);

    /* Then alternate sectors with the next seq mapping to the slot. */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);
    assert_int_equal(od.copy[1].seq, 3);
    assert_int_equal(od.copy[1].state, OTA_IMG_NEW);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, false), OTA_OK);
    assert_int_equal(od.copy[0].seq, 4);
    /* Selecting the slot already active rewrites its own copy (v6.0). */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, false), OTA_OK);
    assert_int_equal(od.copy[0].seq, 4);
    assert_int_equal(od.copy[1].seq, 3);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 5, 2, false), OTA_ERR_OTADATA_NO_SLOT);

    /* What is in flash is what we think: read it back after a "restart". */
    struct ota_otadata back;
    tmp_flash_reopen(&t);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &back), OTA_OK);
    assert_memory_equal(&back, &od, sizeof(od));
    assert_int_equal(ota_otadata_boot_slot(&back, 2), 1);
    tmp_flash_destroy(&t);
}

static void marking_states(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    const struct ota_partition *p = seed_otadata(&t, &table);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_VALID), OTA_ERR_OTADATA_NONE);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, true), OTA_OK);
    assert_int_equal(ota_otadata_active(&od), 1);
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_PENDING_VERIFY), OTA_OK);
    assert_int_equal(od.copy[1].seq, 2);  /* same sector, same seq */
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_INVALID), OTA_OK);
    /* An invalid copy no longer counts: the older one is active again. */
    assert_int_equal(ota_otadata_active(&od), 0);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 0);
    assert_string_equal(ota_img_state_name(OTA_IMG_ABORTED), "ABORTED");
    tmp_flash_destroy(&t);
}

static void encode_decode_layout(void **state)
{
    (void)state;
    uint8_t raw[32];
    struct ota_select_entry e = entry(1, OTA_IMG_PENDING_VERIFY), d;
    ota_otadata_encode(&e, raw);
    static const uint8_t want_head[4] = {1, 0, 0, 0};
    assert_memory_equal(raw, want_head, 4);
    assert_int_equal(raw[4], 0xFF);   /* seq_label left erased */
    assert_int_equal(raw[24], 1);     /* state */
    assert_int_equal(raw[28], 0x9A);  /* crc 0x4743989A, little-endian */
    assert_int_equal(raw[31], 0x47);
    ota_otadata_decode(raw, &d);
    assert_memory_equal(&d, &e, sizeof(e));
}

/* esp_rewrite_ota_data (v6.0): re-selecting the active slot keeps its sector
 * and seq and takes the new state (before: the other copy got the same seq,
 * copy 0 won the tie and the trial state was lost). */
static void reselecting_the_active_slot_keeps_the_trial(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    const struct ota_partition *p = seed_otadata(&t, &table);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, false), OTA_OK);
    assert_int_equal(ota_otadata_set_state(&t.hf.flash, p, &od, OTA_IMG_VALID), OTA_OK);
    /* ota_0 (copy 0, seq 1, VALID) is selected again with rollback: a trial. */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_active(&od), 0);
    assert_int_equal(od.copy[0].seq, 1);
    assert_int_equal(od.copy[0].state, OTA_IMG_NEW);
    assert_int_equal(od.copy[1].seq, 0xFFFFFFFFu);  /* the other copy untouched */
    tmp_flash_destroy(&t);
}

/* The entry keeps its seq_label, as ESP-IDF rewrites the struct it read. */
static void select_keeps_the_seq_label(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    uint8_t raw[OTA_OTADATA_ENTRY_LEN];
    const struct ota_partition *p = seed_otadata(&t, &table);
    struct ota_select_entry e = entry(1, OTA_IMG_VALID);
    memcpy(e.seq_label, "label-by-the-factory", 20);
    ota_otadata_encode(&e, raw);
    assert_int_equal(ota_flash_program(&t.hf.flash, p->offset + OTA_FLASH_SECTOR_SIZE, raw, sizeof(raw)), OTA_OK);
    e = entry(2, OTA_IMG_VALID);
    memcpy(e.seq_label, "label-of-copy-zero..", 20);
    ota_otadata_encode(&e, raw);
    assert_int_equal(ota_flash_program(&t.hf.flash, p->offset, raw, sizeof(raw)), OTA_OK);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 1);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, false), OTA_OK);  /* copy 1, seq 3 */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);   /* copy 1 again */
    tmp_flash_reopen(&t);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(od.copy[1].seq, 3);
    assert_int_equal(od.copy[1].state, OTA_IMG_NEW);
    assert_memory_equal(od.copy[1].seq_label, "label-by-the-factory", 20);
    assert_memory_equal(od.copy[0].seq_label, "label-of-copy-zero..", 20);
    tmp_flash_destroy(&t);
}

/* A select that the bootloader would not follow is an error, and writes nothing. */
static void select_that_would_wrap_is_refused(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    uint8_t raw[OTA_OTADATA_ENTRY_LEN];
    const struct ota_partition *p = seed_otadata(&t, &table);
    struct ota_select_entry e = entry(0xFFFFFFFEu, OTA_IMG_VALID);  /* slot (0xFFFFFFFD % 2) = 1 */
    ota_otadata_encode(&e, raw);
    assert_int_equal(ota_flash_program(&t.hf.flash, p->offset, raw, sizeof(raw)), OTA_OK);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 1);
    ota_host_flash_reset_counters(&t.hf);
    /* slot 0 needs seq 0xFFFFFFFF, which reads as blank */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, false), OTA_ERR_OTADATA_SEQ_WRAP);
    assert_int_equal(t.hf.count.ops, 0);
    assert_int_equal(ota_otadata_boot_slot(&od, 2), 1);
    /* with three slots (active slot 1) slot 0 would need 0x100000000 */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 3, false), OTA_ERR_OTADATA_SEQ_WRAP);
    /* re-selecting the active slot needs no new seq: fine */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, true), OTA_OK);
    assert_int_equal(od.copy[0].seq, 0xFFFFFFFEu);
    assert_int_equal(od.copy[0].state, OTA_IMG_NEW);
    tmp_flash_destroy(&t);
}

/* esp_ota_current_ota_is_workable(false) asks esp_ota_check_rollback_is_possible()
 * first: with nothing else that would boot, ESP_ERR_OTA_ROLLBACK_FAILED and
 * otadata untouched. */
static void mark_invalid_needs_something_to_roll_back_to(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od, before, after;
    const struct ota_partition *p = seed_otadata(&t, &table);
    struct buf img = make_image("running", "v1", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(&t, ota_pt_find_label(&table, "ota_0"), img.data, img.len);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_app_mark_invalid(&t.hf.flash, &table), OTA_ERR_OTADATA_NONE);  /* nothing active */
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);
    /* ota_0 runs, the other copy is blank and there is no factory app. */
    assert_int_equal(ota_app_mark_invalid(&t.hf.flash, &table), OTA_ERR_OTA_ROLLBACK_FAILED);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &after), OTA_OK);
    assert_memory_equal(&after, &od, sizeof(od));
    /* ota_1 selected and running; the other copy names ota_0, which verifies: allowed. */
    write_partition(&t, ota_pt_find_label(&table, "ota_1"), img.data, img.len);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 1, 2, true), OTA_OK);
    before = od;
    /* ... but not once ota_0 no longer holds an app. */
    assert_int_equal(ota_flash_erase(&t.hf.flash, ota_pt_find_label(&table, "ota_0")->offset, 4096), OTA_OK);
    assert_int_equal(ota_app_mark_invalid(&t.hf.flash, &table), OTA_ERR_OTA_ROLLBACK_FAILED);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &after), OTA_OK);
    assert_memory_equal(&after, &before, sizeof(before));
    write_partition(&t, ota_pt_find_label(&table, "ota_0"), img.data, img.len);
    assert_int_equal(ota_app_mark_invalid(&t.hf.flash, &table), OTA_OK);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &after), OTA_OK);
    assert_int_equal(after.copy[1].state, OTA_IMG_INVALID);
    assert_int_equal(ota_otadata_boot_slot(&after, 2), 0);
    buf_free(&img);
    tmp_flash_destroy(&t);
}

/* esp_ota_current_ota_is_workable(true) writes only when the state is not
 * VALID yet: no erase cycle spent on every boot of a confirmed app. */
static void mark_valid_twice_writes_once(void **state)
{
    (void)state;
    struct tmp_flash t;
    static struct ota_ptable table;
    struct ota_otadata od;
    const struct ota_partition *p = seed_otadata(&t, &table);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(ota_otadata_select(&t.hf.flash, p, &od, 0, 2, true), OTA_OK);
    assert_int_equal(ota_app_mark_valid(&t.hf.flash, &table), OTA_OK);
    assert_int_equal(ota_otadata_read(&t.hf.flash, p, &od), OTA_OK);
    assert_int_equal(od.copy[0].state, OTA_IMG_VALID);
    uint64_t ops = t.hf.count.ops;
    assert_int_equal(ota_app_mark_valid(&t.hf.flash, &table), OTA_OK);
    assert_int_equal(t.hf.count.ops, ops);  /* no erase, no program */
    tmp_flash_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_vectors),
        cmocka_unit_test(choosing_the_active_copy),
        cmocka_unit_test(select_writes_the_other_sector),
        cmocka_unit_test(marking_states),
        cmocka_unit_test(encode_decode_layout),
        cmocka_unit_test(reselecting_the_active_slot_keeps_the_trial),
        cmocka_unit_test(select_keeps_the_seq_label),
        cmocka_unit_test(select_that_would_wrap_is_refused),
        cmocka_unit_test(mark_invalid_needs_something_to_roll_back_to),
        cmocka_unit_test(mark_valid_twice_writes_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
