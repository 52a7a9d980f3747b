/* The update journal: records, alternation, progress, torn writes. */
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/journal.h"

static struct ota_ptable table;
static struct ota_journal j;
static const uint8_t id[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static const struct ota_partition *tone(void)
{
    return ota_pt_find_label(&table, "flash_tone");
}

static void capacity(void **state)
{
    (void)state;
    struct ota_partition p = {0};
    p.size = 1u << 20;
    assert_int_equal(ota_journal_data_capacity(&p), (1u << 20) - 8192);
    p.size = 12288;
    assert_int_equal(ota_journal_data_capacity(&p), 4096);
    p.size = 8192;
    assert_int_equal(ota_journal_data_capacity(&p), 0);
    p.size = 0x4800;  /* not whole sectors */
    assert_int_equal(ota_journal_data_capacity(&p), 0);
}

static void begin_progress_commit(void **state)
{
    (void)state;
    struct tmp_flash t;
    enum ota_journal_state st;
    make_seed_device(&t, &table);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_NONE);
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 50000, id, "\"5f3a-c350\""), OTA_OK);
    assert_int_equal(t.hf.count.sector_erases, 1);
    uint8_t page0[256];
    memset(page0, 0x42, sizeof(page0));
    assert_int_equal(ota_journal_stash_page0(&t.hf.flash, tone(), &j, page0), OTA_OK);
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 4096), OTA_OK);
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 8192), OTA_OK);
    assert_int_equal(t.hf.count.sector_erases, 1);  /* progress costs programs, never erases */

    tmp_flash_reopen(&t);  /* power cycle */
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_WRITING);
    assert_int_equal(j.length, 50000);
    assert_memory_equal(j.source_id, id, 12);
    assert_string_equal(j.validator, "\"5f3a-c350\"");
    assert_true(j.has_page0);
    assert_memory_equal(j.page0, page0, 256);
    assert_int_equal(j.durable, 8192);
    assert_int_equal(j.seq, 1);

    assert_int_equal(ota_journal_set_state(&t.hf.flash, tone(), &j, OTA_JOURNAL_COMPLETE), OTA_OK);
    assert_int_equal(ota_journal_read(&t.hf.flash, tone(), &st), OTA_OK);
    assert_int_equal(st, OTA_JOURNAL_COMPLETE);

    /* The next update goes into the other sector with seq + 1. */
    int first = j.copy;
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 100, id, NULL), OTA_OK);
    assert_int_not_equal(j.copy, first);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.seq, 2);
    assert_int_equal(j.state, OTA_JOURNAL_WRITING);
    assert_int_equal(j.durable, 0);
    assert_false(j.has_page0);
    tmp_flash_destroy(&t);
}

static void torn_writes(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 9000, id, "v"), OTA_OK);
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 4096), OTA_OK);
    assert_int_equal(ota_journal_set_state(&t.hf.flash, tone(), &j, OTA_JOURNAL_COMPLETE), OTA_OK);

    /* A new record torn while it is programmed: the COMPLETE one stays in force. */
    ota_host_flash_reset_counters(&t.hf);
    t.hf.cut_at = 2;  /* erase ok, program torn */
    t.hf.cut_mode = OTA_CUT_TORN;
    t.hf.cut_seed = 3;
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 1, id, "w"), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_COMPLETE);
    assert_int_equal(j.seq, 1);

    /* A torn progress entry is skipped: the previous durable point holds. */
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 90000, id, "x"), OTA_OK);
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 4096), OTA_OK);
    ota_host_flash_reset_counters(&t.hf);
    t.hf.cut_at = 1;
    t.hf.cut_mode = OTA_CUT_TORN;
    t.hf.cut_seed = 99;
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 8192), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_WRITING);
    assert_int_equal(j.durable, 4096);
    tmp_flash_destroy(&t);
}

/* Decoder checkpoints: the latest valid one survives a power cycle; a torn
 * slot or identity, or a slot of another identity, is never believed; a
 * new record starts with none. */
static void decoder_checkpoints(void **state)
{
    (void)state;
    struct tmp_flash t;
    uint8_t dec_id[OTA_JOURNAL_DECODER_ID_LEN], other[OTA_JOURNAL_DECODER_ID_LEN];
    memset(dec_id, 0x5A, sizeof(dec_id));
    memset(other, 0x6B, sizeof(other));
    make_seed_device(&t, &table);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 100, 4096, dec_id), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 90000, id, "v"), OTA_OK);
    assert_int_equal(ota_journal_progress(&t.hf.flash, tone(), &j, 8192), OTA_OK);
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 1234, 4096, dec_id), OTA_OK);
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 2345, 8192, dec_id), OTA_OK);
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 1, 12288, other), OTA_ERR_INVALID_ARG);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.cp_in, 2345);
    assert_int_equal(j.cp_out, 8192);
    uint8_t back[OTA_JOURNAL_DECODER_ID_LEN];
    assert_int_equal(ota_journal_read_decoder_id(&t.hf.flash, tone(), &j, back), OTA_OK);
    assert_memory_equal(back, dec_id, sizeof(dec_id));
    assert_int_equal(j.durable, 8192);  /* progress entries untouched */

    /* torn at every byte class: the slot before holds */
    for (uint32_t seed = 1; seed < 6; seed++) {
        ota_host_flash_reset_counters(&t.hf);
        t.hf.cut_at = 1;
        t.hf.cut_mode = OTA_CUT_TORN;
        t.hf.cut_seed = seed;
        assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 9999, 12288 + seed * 4096, dec_id),
                         OTA_ERR_POWER_LOST);
        tmp_flash_reopen(&t);
        assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
        assert_int_equal(j.cp_out, 8192);
        assert_int_equal(j.cp_in, 2345);
    }
    /* after the torn slots the next one still goes into erased space */
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 3456, 40960, dec_id), OTA_OK);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.cp_out, 40960);

    /* a record whose identity was torn believes no checkpoint */
    assert_int_equal(ota_journal_begin(&t.hf.flash, tone(), &j, 90000, id, "w"), OTA_OK);
    assert_int_equal(j.cp_out, 0);
    ota_host_flash_reset_counters(&t.hf);
    t.hf.cut_at = 1;
    t.hf.cut_mode = OTA_CUT_TORN;
    t.hf.cut_seed = 7;
    assert_int_equal(ota_journal_checkpoint(&t.hf.flash, tone(), &j, 77, 4096, dec_id), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.cp_out, 0);
    assert_int_equal(ota_journal_read_decoder_id(&t.hf.flash, tone(), &j, back), OTA_ERR_NOT_FOUND);
    tmp_flash_destroy(&t);
}

/* Retire: both records stop speaking for the content, with programs only;
 * the older one goes first, so that a torn program of the newer one never
 * brings an older WRITING record back as the current one. */
/* Two records: an older WRITING one of another source (8 KiB durable), a
 * newer WRITING one (4 KiB durable); returns the newer one's copy. */
static int two_records(struct tmp_flash *t)
{
    static const uint8_t other[12] = {9};
    assert_int_equal(ota_journal_load(&t->hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(ota_journal_begin(&t->hf.flash, tone(), &j, 50000, other, "\"old\""), OTA_OK);
    assert_int_equal(ota_journal_progress(&t->hf.flash, tone(), &j, 8192), OTA_OK);
    assert_int_equal(ota_journal_begin(&t->hf.flash, tone(), &j, 60000, id, "\"new\""), OTA_OK);
    assert_int_equal(ota_journal_progress(&t->hf.flash, tone(), &j, 4096), OTA_OK);
    return j.copy;
}

/* Retire: both records stop speaking for the content, with programs only;
 * the older one goes first, so that a torn program of the newer one's state
 * word (3 may become 2, an invalid state) never brings the older WRITING
 * record back as the current one. */
static void retire_clears_both_records_older_first(void **state)
{
    (void)state;
    struct tmp_flash t;
    make_seed_device(&t, &table);
    assert_int_equal(ota_journal_retire(&t.hf.flash, tone()), OTA_OK);  /* none: nothing to do */
    unsigned cleared = 0;
    for (uint32_t seed = 1; seed <= 12; seed++) {
        for (unsigned cut = 1; cut <= 2; cut++) {
            int newer = two_records(&t);
            ota_host_flash_reset_counters(&t.hf);
            t.hf.cut_at = cut;
            t.hf.cut_mode = OTA_CUT_TORN;
            t.hf.cut_seed = seed;
            assert_int_equal(ota_journal_retire(&t.hf.flash, tone()), OTA_ERR_POWER_LOST);
            tmp_flash_reopen(&t);
            t.hf.cut_at = 0;
            assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
            /* retired, or the newer record as it was (nothing was overwritten yet) */
            assert_true(j.state == OTA_JOURNAL_NONE || (j.copy == newer && j.durable == 4096));
            cleared += j.state == OTA_JOURNAL_NONE;
        }
    }
    assert_true(cleared > 0);

    int newer = two_records(&t);
    assert_int_equal(ota_journal_retire(&t.hf.flash, tone()), OTA_OK);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_NONE);
    /* even with the newer sector gone, the older record is retired too */
    uint32_t addr = tone()->offset + ota_journal_data_capacity(tone()) + (uint32_t)newer * OTA_FLASH_SECTOR_SIZE;
    assert_int_equal(ota_flash_erase(&t.hf.flash, addr, OTA_FLASH_SECTOR_SIZE), OTA_OK);
    assert_int_equal(ota_journal_load(&t.hf.flash, tone(), &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_NONE);
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(ota_journal_retire(&t.hf.flash, tone()), OTA_OK);
    assert_int_equal(t.hf.count.ops, 0);  /* already retired: nothing written */
    tmp_flash_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capacity),
        cmocka_unit_test(begin_progress_commit),
        cmocka_unit_test(torn_writes),
        cmocka_unit_test(decoder_checkpoints),
        cmocka_unit_test(retire_clears_both_records_older_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
