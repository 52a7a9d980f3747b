/* The app item given a delta patch instead of a full image: detected by its
 * header, applied onto the running app through the app writer, refused
 * before any flash write when made for another app, and the item's
 * fallback_uri taken then, or when there is no patch at the URI. Real
 * host port: file:// from a temporary SD folder, the emulated flash and its
 * counters; patches made by our maker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta_make.h"
#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_transport.h"
#include "ota/journal.h"
#include "ota/service.h"

static char sd[64];
static struct ota_ptable table;
static struct ota_service svc;
static struct ota_item_patch patch_work;  /* the firmware's choice: patches on */
static bool patches_on = true;
static struct ota_host_transport ht;
static struct buf old_app, new_app, other_app;

/* A patch old -> new by the maker, in esp_delta_ota's format or ours. */
static void put_patch(const char *name, const struct buf *o, const struct buf *n, bool compact)
{
    struct delta_plan plan = {0};
    struct delta_buf out = {0};
    assert_int_equal(delta_plan_make(o->data, o->len, n->data, n->len, &plan), 0);
    int rc = compact ? delta_write_compact(o->data, o->len, n->data, n->len, &plan, &out)
                     : delta_write_esp(o->data, o->len, n->data, n->len, &plan, &out);
    assert_int_equal(rc, 0);
    put_file(sd, name, out.data, out.len);
    free(out.data);
    delta_plan_free(&plan);
}

static int setup(void **state)
{
    (void)state;
    strcpy(sd, "/tmp/ota-test-patch-XXXXXX");
    assert_non_null(mkdtemp(sd));
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);
    old_app = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    new_app = make_image("play_mp3_control", "v2.0.0", 64 * 1024, OTA_CHIP_ESP32);
    other_app = make_image("ota_example", "v1.5.0", 60 * 1024, OTA_CHIP_ESP32);
    put_file(sd, "new.bin", new_app.data, new_app.len);
    put_patch("old-new.espdelta", &old_app, &new_app, false);
    put_patch("old-new.compact", &old_app, &new_app, true);
    put_patch("other-new.espdelta", &other_app, &new_app, false);
    put_patch("other-new.compact", &other_app, &new_app, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    buf_free(&old_app);
    buf_free(&new_app);
    buf_free(&other_app);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", sd);
    return system(cmd) == 0 ? 0 : -1;
}

/* A seed device running `running` from ota_0. */
static void device(struct tmp_flash *t, const struct buf *running)
{
    make_seed_device(t, &table);
    write_partition(t, ota_pt_find_label(&table, "ota_0"), running->data, running->len);
}

static int run_item(struct tmp_flash *t, const char *uri, const char *fallback)
{
    struct ota_service_config c;
    memset(&c, 0, sizeof(c));
    c.flash = &t->hf.flash;
    c.transport = &ht.transport;
    c.allow_plain_http = true;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = booted_app_offset(&t->hf.flash);
    c.patch_work = patches_on ? &patch_work : NULL;
    struct ota_item item;
    memset(&item, 0, sizeof(item));
    item.type = OTA_ITEM_APP;
    item.uri = uri;
    item.fallback_uri = fallback;
    item.reboot_flag = true;
    assert_int_equal(ota_service_init(&svc, &c), OTA_OK);
    assert_int_equal(ota_service_set_upgrade_list(&svc, &item, 1), OTA_OK);
    ota_host_flash_reset_counters(&t->hf);
    return ota_service_start(&svc, NULL);
}

/* The slot after ota_0 holds exactly `want`, and the bootloader picks it. */
static void assert_installed(struct tmp_flash *t, const struct buf *want)
{
    const struct ota_partition *p = ota_pt_find_label(&table, "ota_1");
    uint8_t *got = malloc(want->len);
    assert_non_null(got);
    assert_int_equal(ota_flash_read(&t->hf.flash, p->offset, got, (uint32_t)want->len), OTA_OK);
    assert_memory_equal(got, want->data, want->len);
    free(got);
    const struct ota_boot_result *res = assert_boots(&t->hf.flash, "ota_1");
    assert_string_equal(res->info.desc.project_name, "play_mp3_control");
}

static void patch_is_detected_and_applied(void **state)
{
    (void)state;
    static const char *const uris[] = {"file://sdcard/old-new.espdelta", "file://sdcard/old-new.compact"};
    for (int i = 0; i < 2; i++) {
        struct tmp_flash t;
        device(&t, &old_app);
        assert_int_equal(run_item(&t, uris[i], NULL), OTA_OK);
        assert_true(svc.work.patch->active);
        assert_false(svc.work.fell_back);
        assert_true(svc.work.patch->bytes > OTA_DELTA_ESP_HEADER_LEN);
        printf("%s: %llu patch bytes made the %zu-byte image\n", uris[i],
               (unsigned long long)svc.work.patch->bytes, new_app.len);
        assert_installed(&t, &new_app);
        tmp_flash_destroy(&t);
    }
}

static void wrong_base_refused_with_nothing_written(void **state)
{
    (void)state;
    static const char *const uris[] = {"file://sdcard/other-new.espdelta", "file://sdcard/other-new.compact"};
    for (int i = 0; i < 2; i++) {
        struct tmp_flash t;
        device(&t, &old_app);
        assert_int_equal(run_item(&t, uris[i], NULL), OTA_ERR_DELTA_BASE);
        assert_int_equal(t.hf.count.programs, 0);
        assert_int_equal(t.hf.count.sector_erases + t.hf.count.block_erases, 0);
        assert_boots(&t.hf.flash, "ota_0");
        tmp_flash_destroy(&t);
    }
}

static void fallback_taken_for_another_base(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/other-new.espdelta", "file://sdcard/new.bin"), OTA_OK);
    assert_true(svc.work.fell_back);
    assert_false(svc.work.patch->active);
    assert_installed(&t, &new_app);
    tmp_flash_destroy(&t);

    /* a patch that fits is applied, its fallback left alone */
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/old-new.compact", "file://sdcard/missing.bin"), OTA_OK);
    assert_false(svc.work.fell_back);
    assert_true(svc.work.patch->active);
    assert_installed(&t, &new_app);
    tmp_flash_destroy(&t);
}

/* No patch at the URI (never published, or deleted): with a fallback the
 * full image is taken; without one the item fails naming the missing file,
 * nothing written, the old app still boots. */
static void fallback_taken_when_the_patch_is_missing(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/unpublished.compact", "file://sdcard/new.bin"), OTA_OK);
    assert_true(svc.work.fell_back);
    assert_installed(&t, &new_app);
    tmp_flash_destroy(&t);

    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/unpublished.compact", NULL), OTA_ERR_FILE_NOT_FOUND);
    assert_false(svc.work.fell_back);
    assert_int_equal(t.hf.count.programs, 0);
    assert_int_equal(t.hf.count.sector_erases + t.hf.count.block_erases, 0);
    assert_boots(&t.hf.flash, "ota_0");
    tmp_flash_destroy(&t);

    /* both missing: the fallback's own error, taken once */
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/unpublished.compact", "file://sdcard/missing.bin"),
                     OTA_ERR_FILE_NOT_FOUND);
    assert_true(svc.work.fell_back);
    assert_int_equal(t.hf.count.programs, 0);
    tmp_flash_destroy(&t);
}

/* A firmware that gives no patch work area takes full images only: a patch
 * takes its fallback, else fails before any write. */
static void no_patch_work_area_takes_full_images_only(void **state)
{
    (void)state;
    patches_on = false;
    struct tmp_flash t;
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/old-new.compact", NULL), OTA_ERR_DELTA_UNSUPPORTED);
    assert_int_equal(t.hf.count.programs, 0);
    assert_int_equal(t.hf.count.sector_erases + t.hf.count.block_erases, 0);
    tmp_flash_destroy(&t);
    device(&t, &old_app);
    assert_int_equal(run_item(&t, "file://sdcard/old-new.compact", "file://sdcard/new.bin"), OTA_OK);
    assert_true(svc.work.fell_back);
    assert_installed(&t, &new_app);
    tmp_flash_destroy(&t);
    patches_on = true;
}

/* A well-formed patch whose output is not a valid image (one byte of the new
 * image changed before the patch was made, so its appended SHA-256 no
 * longer matches): the image check catches it, otadata never changes. */
static void wrong_output_caught_by_the_image_check(void **state)
{
    (void)state;
    struct buf bad = {0};
    buf_emit(&bad, new_app.data, new_app.len);
    bad.data[bad.len / 2] ^= 0x5a;
    put_patch("old-bad.espdelta", &old_app, &bad, false);
    struct tmp_flash t;
    device(&t, &old_app);
    int err = run_item(&t, "file://sdcard/old-bad.espdelta", "file://sdcard/new.bin");
    assert_true(err == OTA_ERR_IMG_HASH || err == OTA_ERR_IMG_CHECKSUM);
    assert_false(svc.work.fell_back);  /* the base fitted: no reason to fall back */
    assert_boots(&t.hf.flash, "ota_0");
    tmp_flash_destroy(&t);
    buf_free(&bad);
}

/* A full-image transfer cut by a power loss leaves a journal to resume
 * from; a patch attempt into the same slot that then fails mid-way has
 * overwritten those bytes. The next full-image run must not resume onto
 * them (it used to, and failed once with a checksum error): the patch's
 * first write retired the journal, so the run starts clean and installs. */
static void failed_patch_leaves_no_journal_to_resume_onto(void **state)
{
    (void)state;
    struct buf third = make_image("third_app", "v3.0.0", 64 * 1024, OTA_CHIP_ESP32);
    struct delta_plan plan = {0};
    struct delta_buf out = {0};
    assert_int_equal(delta_plan_make(old_app.data, old_app.len, third.data, third.len, &plan), 0);
    assert_int_equal(delta_write_esp(old_app.data, old_app.len, third.data, third.len, &plan, &out), 0);
    put_file(sd, "old-third-cut.espdelta", out.data, out.len * 3 / 4);  /* ends mid-way */
    free(out.data);
    delta_plan_free(&plan);

    struct tmp_flash t;
    device(&t, &old_app);
    const struct ota_partition *slot = ota_pt_find_label(&table, "ota_1");
    t.hf.cut_at = 120;
    assert_int_equal(run_item(&t, "file://sdcard/new.bin", NULL), OTA_ERR_POWER_LOST);
    tmp_flash_reopen(&t);
    struct ota_journal j;
    assert_int_equal(ota_journal_load(&t.hf.flash, slot, &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_WRITING);
    assert_true(j.durable >= OTA_FLASH_SECTOR_SIZE);

    assert_int_equal(run_item(&t, "file://sdcard/old-third-cut.espdelta", NULL), OTA_ERR_DELTA_TRUNCATED);
    assert_true(ota_app_written(&svc.work.up.app) > j.durable);  /* it did overwrite the journaled bytes */
    assert_int_equal(ota_journal_load(&t.hf.flash, slot, &j), OTA_OK);
    assert_int_equal(j.state, OTA_JOURNAL_NONE);
    assert_boots(&t.hf.flash, "ota_0");

    assert_int_equal(run_item(&t, "file://sdcard/new.bin", NULL), OTA_OK);
    assert_false(svc.work.resumed);
    assert_installed(&t, &new_app);
    tmp_flash_destroy(&t);
    buf_free(&third);
}

/* Hostile patches through the service (file://, as a server would send
 * them): one that never produces output ends with OTA_ERR_DELTA_STALLED
 * after a read buffer or two of its half megabyte (it used to be read to
 * its end; served without end, it ran into the item deadline), one whose
 * header names an image bigger than the slot ends with
 * OTA_ERR_DELTA_OUTPUT_BOUND; nothing is written, the old app boots. */
static void hostile_patches_end_at_once(void **state)
{
    (void)state;
    static const enum stall_form forms[] = {STALL_DETOOLS, STALL_HEATSHRINK, STALL_COMPACT};
    const uint8_t *base = old_app.data + old_app.len - 32;
    for (size_t f = 0; f < 4; f++) {
        struct buf p = f < 3 ? make_stalling_patch(forms[f], base, (uint32_t)old_app.len, (uint32_t)new_app.len,
                                                   512 * 1024)
                             : make_stalling_patch(STALL_DETOOLS, base, 0, 2u << 20, 4096);
        put_file(sd, "hostile.patch", p.data, p.len);
        buf_free(&p);
        struct tmp_flash t;
        device(&t, &old_app);
        int err = run_item(&t, "file://sdcard/hostile.patch", NULL);
        assert_int_equal(err, f < 3 ? OTA_ERR_DELTA_STALLED : OTA_ERR_DELTA_OUTPUT_BOUND);
        assert_true(svc.work.patch->bytes <= 2 * OTA_SERVICE_BUF_LEN);
        assert_int_equal(t.hf.count.programs, 0);
        assert_int_equal(t.hf.count.sector_erases + t.hf.count.block_erases, 0);
        assert_boots(&t.hf.flash, "ota_0");
        tmp_flash_destroy(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patch_is_detected_and_applied),
        cmocka_unit_test(wrong_base_refused_with_nothing_written),
        cmocka_unit_test(fallback_taken_for_another_base),
        cmocka_unit_test(fallback_taken_when_the_patch_is_missing),
        cmocka_unit_test(no_patch_work_area_takes_full_images_only),
        cmocka_unit_test(wrong_output_caught_by_the_image_check),
        cmocka_unit_test(failed_patch_leaves_no_journal_to_resume_onto),
        cmocka_unit_test(hostile_patches_end_at_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
