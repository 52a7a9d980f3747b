/* The push-style API (ota/update.h) on the emulated flash: any chunk size,
 * abort and cancel anywhere, the running app told by the port and never
 * written, protected regions, a data content check before the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_transport.h"
#include "ota/otadata.h"
#include "ota/service.h"
#include "ota/update.h"

static struct ota_ptable table;
static struct ota_device dev;
static struct ota_app_update up;
static struct ota_data_update data_up;
static struct ota_boot_result booted;

/* A seed device running ota_example v1.0.0 from ota_0. */
static void device(struct tmp_flash *t)
{
    make_seed_device(t, &table);
    struct buf b = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(t, ota_pt_find_label(&table, "ota_0"), b.data, b.len);
    buf_free(&b);
}

static const char *boots(struct tmp_flash *t)
{
    struct ota_boot_opts bo = {false, OTA_CHIP_ESP32, 300, NULL, 0, false};
    assert_int_equal(ota_boot(&t->hf.flash, &bo, &booted), OTA_OK);
    return booted.info.desc.project_name;
}

static void open_device(struct tmp_flash *t)
{
    assert_int_equal(ota_device_open(&dev, &t->hf.flash, booted_app_offset(&t->hf.flash)), OTA_OK);
}

static int push(const struct buf *b, size_t chunk, size_t stop_at)
{
    for (size_t off = 0; off < b->len && off < stop_at; off += chunk) {
        size_t n = b->len - off < chunk ? b->len - off : chunk;
        int err = ota_app_write(&up, b->data + off, n);
        if (err) {
            return err;
        }
    }
    return OTA_OK;
}

static void any_chunk_size_installs_the_image(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 4096, 65536};
    struct buf b = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        struct tmp_flash t;
        device(&t);
        open_device(&t);
        struct ota_app_options opt = {NULL, (int64_t)b.len, true, NULL, NULL, NULL};
        assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
        assert_int_equal(push(&b, chunks[i], b.len), OTA_OK);
        struct ota_image_info info;
        assert_int_equal(ota_app_finish(&up, &info), OTA_OK);
        assert_string_equal(info.desc.version, "v2.0.0");
        assert_string_equal(boots(&t), "play_mp3_control");
        assert_string_equal(booted.part.label, "ota_1");
        tmp_flash_destroy(&t);
    }
    buf_free(&b);
}

/* Abort before the head is complete, mid-image, and after the last byte:
 * otadata is never touched and the running app boots. */
static void abort_anywhere_leaves_the_running_app(void **state)
{
    (void)state;
    static const size_t stops[] = {0, 100, 5000, 100000, 150000};
    struct buf b = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        struct tmp_flash t;
        device(&t);
        open_device(&t);
        const struct ota_partition *od = ota_pt_find_label(&table, "otadata");
        uint8_t before[0x2000], after[0x2000];
        assert_int_equal(ota_flash_read(&t.hf.flash, od->offset, before, sizeof(before)), OTA_OK);
        struct ota_app_options opt = {NULL, (int64_t)b.len, false, NULL, NULL, NULL};
        assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
        assert_int_equal(push(&b, 4096, stops[i]), OTA_OK);
        ota_app_abort(&up);
        assert_int_equal(ota_app_finish(&up, NULL), OTA_ERR_INVALID_ARG);  /* an aborted update stays aborted */
        assert_int_equal(ota_flash_read(&t.hf.flash, od->offset, after, sizeof(after)), OTA_OK);
        assert_memory_equal(before, after, sizeof(before));
        assert_string_equal(boots(&t), "ota_example");
        tmp_flash_destroy(&t);
    }
    buf_free(&b);
}

/* Nothing reaches flash before the checks: an older version is refused
 * with the head still in RAM. */
static void checks_come_before_the_first_write(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    open_device(&t);
    struct buf b = make_image("play_mp3_control", "v0.9.0", 150000, OTA_CHIP_ESP32);
    ota_host_flash_reset_counters(&t.hf);
    struct ota_app_options opt = {NULL, (int64_t)b.len, true, NULL, NULL, NULL};
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(push(&b, 7, b.len), OTA_ERR_NOT_NEWER);
    assert_int_equal(t.hf.count.ops, 0);
    opt.project = "another_project";
    opt.check_version = false;
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(push(&b, 4096, b.len), OTA_ERR_PROJECT_NAME);
    assert_int_equal(t.hf.count.ops, 0);
    buf_free(&b);
    tmp_flash_destroy(&t);
}

/* After a fallback (otadata selects ota_1, which does not verify, so
 * ota_0 runs) the running app is what booted, not what otadata says: the
 * update goes to ota_1 and ota_0 is never written. */
static void the_running_app_is_told_not_guessed(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    const struct ota_partition *od = ota_pt_find_label(&table, "otadata");
    struct ota_otadata odata;
    assert_int_equal(ota_otadata_read(&t.hf.flash, od, &odata), OTA_OK);
    assert_int_equal(ota_otadata_select(&t.hf.flash, od, &odata, 1, 2, false), OTA_OK);  /* ota_1: empty */
    assert_string_equal(boots(&t), "ota_example");
    assert_true(booted.fell_back);
    assert_string_equal(ota_running_partition(&t.hf.flash, &table)->label, "ota_1");  /* the old guess */
    assert_int_equal(ota_device_open(&dev, &t.hf.flash, booted.part.offset), OTA_OK);
    assert_string_equal(dev.running->label, "ota_0");
    assert_string_equal(ota_device_next_slot(&dev)->label, "ota_1");
    struct buf b = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    struct ota_app_options opt = {ota_pt_find_label(&dev.table, "ota_0"), (int64_t)b.len, false, NULL, NULL, NULL};
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_ERR_PROTECTED);
    opt.target = NULL;
    opt.check_version = true;  /* compared with the app that runs: v1.0.0 */
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_string_equal(up.pw.part->label, "ota_1");
    assert_int_equal(push(&b, 4096, b.len), OTA_OK);
    assert_int_equal(ota_app_finish(&up, NULL), OTA_OK);
    assert_string_equal(boots(&t), "play_mp3_control");
    assert_false(booted.fell_back);
    buf_free(&b);
    tmp_flash_destroy(&t);
}

static void protected_regions_are_never_targets(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    open_device(&t);
    assert_true(ota_device_protected(&dev, 0x0, 0x1000));      /* bootloader */
    assert_true(ota_device_protected(&dev, 0x8000, 0x1000));   /* partition table */
    assert_true(ota_device_protected(&dev, ota_pt_find_label(&table, "otadata")->offset, 1));
    assert_true(ota_device_protected(&dev, dev.running->offset + 100, 1));
    assert_false(ota_device_protected(&dev, ota_pt_find_label(&table, "ota_1")->offset, 0x1000));
    struct ota_data_options dopt = {OTA_LENGTH_UNKNOWN, NULL, NULL, NULL, NULL};
    assert_int_equal(ota_data_begin(&data_up, &dev, ota_pt_find_label(&dev.table, "otadata"), &dopt), OTA_ERR_PROTECTED);
    assert_int_equal(ota_data_begin(&data_up, &dev, ota_pt_find_label(&dev.table, "ota_0"), &dopt), OTA_ERR_NOT_FOUND);
    tmp_flash_destroy(&t);
}

static int reject_all(void *ctx, const struct ota_flash *f, const struct ota_partition *part, uint32_t len)
{
    (void)ctx;
    (void)f;
    (void)part;
    (void)len;
    return OTA_ERR_TONE_CRC;
}

/* A data image that fails its content check is never committed: the
 * journal stays WRITING, and the next update of the right image succeeds. */
static void data_check_runs_before_the_commit(void **state)
{
    (void)state;
    struct tmp_flash t;
    device(&t);
    open_device(&t);
    const struct ota_partition *tone = ota_pt_find_label(&dev.table, "flash_tone");
    uint8_t data[10000];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7);
    }
    struct ota_data_options dopt = {sizeof(data), NULL, NULL, reject_all, NULL};
    assert_int_equal(ota_data_begin(&data_up, &dev, tone, &dopt), OTA_OK);
    assert_int_equal(ota_data_write(&data_up, data, sizeof(data)), OTA_OK);
    assert_int_equal(ota_data_finish(&data_up), OTA_ERR_TONE_CRC);
    enum ota_journal_state st;
    assert_int_equal(ota_journal_read(&t.hf.flash, tone, &st), OTA_OK);
    assert_int_equal(st, OTA_JOURNAL_WRITING);
    dopt.check = NULL;
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        assert_int_equal(ota_data_begin(&data_up, &dev, tone, &dopt), OTA_OK);
        for (size_t off = 0; off < sizeof(data); off += chunk) {
            size_t n = sizeof(data) - off < chunk ? sizeof(data) - off : chunk;
            assert_int_equal(ota_data_write(&data_up, data + off, n), OTA_OK);
        }
        assert_int_equal(ota_data_finish(&data_up), OTA_OK);
        assert_int_equal(ota_journal_read(&t.hf.flash, tone, &st), OTA_OK);
        assert_int_equal(st, OTA_JOURNAL_COMPLETE);
        uint8_t back[sizeof(data)];
        assert_int_equal(ota_flash_read(&t.hf.flash, tone->offset, back, sizeof(back)), OTA_OK);
        assert_memory_equal(back, data, sizeof(data));
    }
    tmp_flash_destroy(&t);
}

/* ---- cancel through the service ------------------------------------------- */

static char sd[64];
static struct ota_service svc;
static struct ota_host_transport ht;

struct cancel_at {
    uint64_t after;   /* cancel once this many bytes are written */
    uint64_t done;
    unsigned asked;
};

static void on_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    (void)id;
    (void)total;
    ((struct cancel_at *)ctx)->done = done;
}

static bool should_cancel(void *ctx, unsigned id)
{
    struct cancel_at *c = ctx;
    (void)id;
    c->asked++;
    return c->done >= c->after;
}

static void cancel_stops_the_item_and_keeps_the_device(void **state)
{
    (void)state;
    static const uint64_t points[] = {0, 4096, 100000};
    strcpy(sd, "/tmp/ota-test-sd-XXXXXX");
    assert_non_null(mkdtemp(sd));
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);
    struct buf b = make_image("play_mp3_control", "v2.0.0", 300000, OTA_CHIP_ESP32);
    char path[128];
    snprintf(path, sizeof(path), "%s/app.bin", sd);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        struct tmp_flash t;
        device(&t);
        struct cancel_at c = {points[i], 0, 0};
        struct ota_service_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.flash = &t.hf.flash;
        cfg.transport = &ht.transport;
        cfg.running_app_offset = booted_app_offset(&t.hf.flash);
        cfg.on_progress = on_progress;
        cfg.cancel = should_cancel;
        cfg.cb_ctx = &c;
        cfg.chip_id = OTA_CHIP_ESP32;
        struct ota_item item;
        memset(&item, 0, sizeof(item));
        item.type = OTA_ITEM_APP;
        item.uri = "file://sdcard/app.bin";
        item.reboot_flag = true;
        assert_int_equal(ota_service_init(&svc, &cfg), OTA_OK);
        assert_int_equal(ota_service_set_upgrade_list(&svc, &item, 1), OTA_OK);
        bool reboot = true;
        assert_int_equal(ota_service_start(&svc, &reboot), OTA_ERR_CANCELLED);
        assert_false(reboot);
        assert_true(c.asked > 0);
        assert_true(c.done >= points[i] && c.done < b.len);
        assert_string_equal(boots(&t), "ota_example");
        tmp_flash_destroy(&t);
    }
    buf_free(&b);
    unlink(path);
    rmdir(sd);
}

/* A device whose table has a factory app (running) and a test app beside
 * two OTA slots. */
static void factory_device(struct tmp_flash *t)
{
    static const char csv[] = "nvs,      data, nvs,     0x9000,  0x4000,\n"
                              "otadata,  data, ota,     0xd000,  0x2000,\n"
                              "factory,  app,  factory, 0x10000, 1M,\n"
                              "ota_0,    app,  ota_0,   ,        1M,\n"
                              "ota_1,    app,  ota_1,   ,        1M,\n"
                              "test,     app,  test,    ,        512K,\n";
    uint8_t bin[OTA_PT_LEN];
    struct ota_pt_diag d;
    tmp_flash_create(t, OTA_HOST_FLASH_DEFAULT_SIZE);
    assert_int_equal(ota_pt_parse_csv(csv, strlen(csv), t->hf.flash.size, &table, &d), OTA_OK);
    assert_int_equal(ota_pt_to_binary(&table, bin), OTA_OK);
    assert_int_equal(ota_flash_program(&t->hf.flash, OTA_PT_OFFSET, bin, sizeof(bin)), OTA_OK);
    struct buf b = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(t, ota_pt_find_label(&table, "factory"), b.data, b.len);
    buf_free(&b);
}

/* otadata selects OTA slots only: a factory or test target is refused at
 * begin, before anything is written, with its own error (it used to be
 * written, and the finish then selected ota_0). */
static void only_ota_slots_are_targets(void **state)
{
    (void)state;
    static const char *const labels[] = {"factory", "test"};
    struct buf b = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    for (int i = 0; i < 2; i++) {
        struct tmp_flash t;
        factory_device(&t);
        /* run from ota_0, so that the factory app is not the running one */
        write_partition(&t, ota_pt_find_label(&table, "ota_0"), b.data, b.len);
        assert_int_equal(ota_device_open(&dev, &t.hf.flash, ota_pt_find_label(&table, "ota_0")->offset), OTA_OK);
        ota_host_flash_reset_counters(&t.hf);
        struct ota_app_options opt = {ota_pt_find_label(&dev.table, labels[i]), (int64_t)b.len, false, NULL, NULL,
                                      NULL};
        assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_ERR_TARGET_NOT_OTA);
        assert_int_equal(ota_app_write(&up, b.data, b.len), OTA_ERR_INVALID_ARG);
        assert_int_equal(ota_app_finish(&up, NULL), OTA_ERR_INVALID_ARG);
        assert_int_equal(t.hf.count.ops, 0);
        assert_string_equal(boots(&t), "ota_example");  /* nothing selected: the factory app boots */
        assert_string_equal(booted.part.label, "factory");
        tmp_flash_destroy(&t);
    }
    buf_free(&b);
}

/* A write of nothing (NULL, 0) changes nothing at any stage; bytes past the
 * announced length and a seek past what is in flash are refused as such. */
static void empty_writes_extra_bytes_and_far_seeks(void **state)
{
    (void)state;
    struct buf b = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    struct tmp_flash t;
    device(&t);
    open_device(&t);
    memset(&up, 0, sizeof(up));
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_ERR_INVALID_ARG);  /* never begun */
    struct ota_app_options opt = {NULL, (int64_t)b.len, false, NULL, NULL, NULL};
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_OK);
    assert_int_equal(ota_app_write(&up, b.data, 100), OTA_OK);  /* the head, still in RAM */
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_OK);
    assert_int_equal(ota_app_seek(&up, 50), OTA_ERR_SEEK_UNWRITTEN);  /* nothing is in flash yet */
    assert_int_equal(ota_app_write(&up, b.data + 100, 9900), OTA_OK);
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_OK);
    assert_int_equal(ota_app_written(&up), 10000);
    assert_int_equal(ota_app_seek(&up, 10001), OTA_ERR_SEEK_UNWRITTEN);
    assert_int_equal(ota_app_seek(&up, 1u << 20), OTA_ERR_SEEK_UNWRITTEN);
    /* refused, not fatal: the update goes on, a seek back is compared */
    assert_int_equal(ota_app_seek(&up, 4000), OTA_OK);
    assert_int_equal(ota_app_write(&up, b.data + 4000, b.len - 4000), OTA_OK);
    assert_int_equal(ota_app_write(&up, b.data, 1), OTA_ERR_MORE_THAN_ANNOUNCED);
    ota_app_abort(&up);
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_ERR_INVALID_ARG);  /* aborted: a no-op refused */
    assert_string_equal(boots(&t), "ota_example");

    /* announced shorter than what comes: refused at the first byte past it */
    opt.image_len = (int64_t)b.len - 1000;
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(push(&b, 4096, b.len), OTA_ERR_MORE_THAN_ANNOUNCED);
    assert_int_equal(ota_app_written(&up), (b.len - 1000) / 4096 * 4096);
    assert_string_equal(boots(&t), "ota_example");

    /* the whole image, then finish: empty writes after the finish change nothing */
    opt.image_len = (int64_t)b.len;
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(ota_app_seek(&up, 0), OTA_OK);
    assert_int_equal(push(&b, 65536, b.len), OTA_OK);
    assert_int_equal(ota_app_finish(&up, NULL), OTA_OK);
    assert_int_equal(ota_app_write(&up, NULL, 0), OTA_ERR_INVALID_ARG);
    assert_string_equal(boots(&t), "play_mp3_control");
    tmp_flash_destroy(&t);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(any_chunk_size_installs_the_image),
        cmocka_unit_test(abort_anywhere_leaves_the_running_app),
        cmocka_unit_test(checks_come_before_the_first_write),
        cmocka_unit_test(the_running_app_is_told_not_guessed),
        cmocka_unit_test(protected_regions_are_never_targets),
        cmocka_unit_test(data_check_runs_before_the_commit),
        cmocka_unit_test(cancel_stops_the_item_and_keeps_the_device),
        cmocka_unit_test(only_ota_slots_are_targets),
        cmocka_unit_test(empty_writes_extra_bytes_and_far_seeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
