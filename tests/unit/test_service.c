/* The service engine with the real host port: file:// sources from a
 * temporary SD folder, the emulated flash and its counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_mem.h"
#include "ota/host_transport.h"
#include "ota/otadata.h"
#include "ota/sdkconfig.h"
#include "ota/service.h"

static char sd[64];
static struct ota_ptable table;
static struct ota_service svc;
static struct ota_host_transport ht;

struct events {
    int results[4];
    int errs[4];
    unsigned n;
    bool finish, reboot;
    size_t heap_peak;
};

static void on_event(void *ctx, const struct ota_event *ev)
{
    struct events *e = ctx;
    if (ev->type == OTA_EVENT_RESULT && e->n < 4) {
        e->results[e->n] = ev->result;
        e->errs[e->n++] = ev->err;
    } else if (ev->type == OTA_EVENT_FINISH) {
        e->finish = true;
        e->reboot = ev->reboot;
    }
}

/* The port's heap while bytes stream (the core allocates nothing). */
static void on_progress(void *ctx, unsigned id, uint64_t done, int64_t total)
{
    struct events *e = ctx;
    struct ota_host_mem_stats m;
    (void)id;
    (void)done;
    (void)total;
    ota_host_mem_stats(&m);
    if (m.port_peak > e->heap_peak) {
        e->heap_peak = m.port_peak;
    }
}

static int setup(void **state)
{
    (void)state;
    strcpy(sd, "/tmp/ota-test-sd-XXXXXX");
    assert_non_null(mkdtemp(sd));
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", sd);
    return system(cmd) == 0 ? 0 : -1;
}

/* A seed device running ota_example v1.0.0 from ota_0. */
static void device(struct tmp_flash *t)
{
    make_seed_device(t, &table);
    struct buf b = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(t, ota_pt_find_label(&table, "ota_0"), b.data, b.len);
    buf_free(&b);
}

static int run(struct tmp_flash *t, struct ota_item *items, unsigned n, struct events *ev, bool force,
               bool rollback)
{
    struct ota_service_config c;
    memset(&c, 0, sizeof(c));
    c.flash = &t->hf.flash;
    c.transport = &ht.transport;
    c.on_event = on_event;
    c.on_progress = on_progress;
    c.cb_ctx = ev;
    c.force_version_check = force;
    c.rollback = rollback;
    c.allow_plain_http = true;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = booted_app_offset(&t->hf.flash);
    memset(ev, 0, sizeof(*ev));
    assert_int_equal(ota_service_init(&svc, &c), OTA_OK);
    assert_int_equal(ota_service_set_upgrade_list(&svc, items, n), OTA_OK);
    bool reboot = false;
    int err = ota_service_start(&svc, &reboot);
    assert_true(ev->finish);
    assert_int_equal(ev->reboot, reboot);
    return err;
}

static void app_update_erases_only_what_the_image_needs(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {300000, 4096 * 20, 1048576 - 4096};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct tmp_flash t;
        struct events ev;
        device(&t);
        struct buf b = make_image("play_mp3_control", "v2.0.0", sizes[i], OTA_CHIP_ESP32);
        put_file(sd, "app.bin", b.data, b.len);
        struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/app.bin", NULL, {0}, true, false, NULL, NULL};
        ota_host_flash_reset_counters(&t.hf);
        assert_int_equal(run(&t, &item, 1, &ev, false, false), OTA_OK);
        assert_true(ev.reboot);
        uint64_t sectors = (sizes[i] + 4095u) / 4096u;
        /* The journal (resume record) fits when the image leaves the slot's
         * last 8 KiB free: one erase, a 128-byte header, an 8-byte entry per
         * completed sector, a 4-byte commit. */
        bool journaled = sizes[i] <= 1048576u - 8192u;
        uint64_t journal_erases = journaled ? 1 : 0;
        uint64_t journal_bytes = journaled ? 128 + 8 * (sizes[i] / 4096u) + 4 : 0;
        /* The image's erases, in sectors' worth: 64 KiB blocks where the image
         * fills a whole aligned block, sectors for the rest; then the
         * journal's sector and the one otadata sector. */
        uint64_t image_sector_erases = t.hf.count.sector_erases - journal_erases - 1;
        assert_int_equal(image_sector_erases + 16 * t.hf.count.block_erases, sectors);
        assert_int_equal(t.hf.count.block_erases, sizes[i] / 65536u);
        assert_int_equal(t.hf.count.bytes_programmed, sizes[i] + journal_bytes + 32);
        printf("app image %u bytes: erases %llu blocks + %llu sectors = %llu sectors' worth (ceil(size/4096) = "
               "%llu), %llu for the journal, 1 for otadata; %llu bytes programmed\n", sizes[i],
               (unsigned long long)t.hf.count.block_erases, (unsigned long long)image_sector_erases,
               (unsigned long long)(image_sector_erases + 16 * t.hf.count.block_erases), (unsigned long long)sectors,
               (unsigned long long)journal_erases, (unsigned long long)t.hf.count.bytes_programmed);
        assert_boots(&t.hf.flash, "ota_1");
        buf_free(&b);
        tmp_flash_destroy(&t);
    }
}

static void memory_does_not_grow_with_the_image(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {64 * 1024, 1048576 - 4096};
    size_t peaks[2];
    for (int i = 0; i < 2; i++) {
        struct tmp_flash t;
        struct events ev;
        device(&t);
        struct buf b = make_image("play_mp3_control", "v2.0.0", sizes[i], OTA_CHIP_ESP32);
        put_file(sd, "app.bin", b.data, b.len);
        buf_free(&b);  /* nothing of the image stays in this process's heap */
        struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/app.bin", NULL, {0}, false, false, NULL, NULL};
        ota_host_mem_reset_peaks();
        assert_int_equal(run(&t, &item, 1, &ev, false, false), OTA_OK);
        peaks[i] = ev.heap_peak;
        assert_true(peaks[i] > 0);  /* the file stream's state is counted */
        tmp_flash_destroy(&t);
    }
    printf("port heap peak while streaming: %zu bytes for a %u-byte image, %zu bytes for a %u-byte image; "
           "service state (caller-owned) %zu bytes; optional patch work area %zu bytes\n",
           peaks[0], sizes[0], peaks[1], sizes[1], sizeof(struct ota_service), sizeof(struct ota_item_patch));
    assert_int_equal(peaks[0], peaks[1]);
    /* 12 KiB for the service and its buffers (the delta applier's 16 KiB is
     * a separate, optional work area); neither grows with the image. */
    assert_true(sizeof(struct ota_service) <= 12 * 1024);
    assert_true(sizeof(struct ota_item_patch) <= OTA_DELTA_STATE_MAX + 512);  /* + counters and the patch's SHA-256 */
    assert_true(peaks[0] + sizeof(struct ota_service) <= 16 * 1024);
}

static void refusals_touch_no_flash(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct events ev;
    device(&t);
    struct buf old = make_image("play_mp3_control", "v0.9.0", 64 * 1024, OTA_CHIP_ESP32);
    put_file(sd, "old.bin", old.data, old.len);
    struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/old.bin", NULL, {0}, true, false, NULL, NULL};
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(run(&t, &item, 1, &ev, true, false), OTA_ERR_NOT_NEWER);
    assert_int_equal(ev.results[0], OTA_RESULT_NO_HIGHER_VERSION);
    assert_false(ev.reboot);
    assert_int_equal(t.hf.count.ops, 0);

    /* data bigger than its partition: refused from its announced length */
    static uint8_t big[1100 * 1024];
    memset(big, 0x5A, sizeof(big));
    put_file(sd, "big.bin", big, sizeof(big));
    struct ota_item data = {OTA_ITEM_DATA, "phy_init", "file://sdcard/big.bin", NULL, {0}, false, false, NULL, NULL};
    ota_host_flash_reset_counters(&t.hf);
    assert_int_equal(run(&t, &data, 1, &ev, false, false), OTA_ERR_DATA_TOO_BIG);
    assert_int_equal(ev.results[0], OTA_RESULT_PARTITION_WT_FAIL);
    assert_int_equal(t.hf.count.ops, 0);
    buf_free(&old);
    tmp_flash_destroy(&t);
}

static void list_semantics(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct events ev;
    device(&t);
    struct buf b = make_image("play_mp3_control", "v2.0.0", 64 * 1024, OTA_CHIP_ESP32);
    put_file(sd, "new.bin", b.data, b.len);
    struct ota_item items[2] = {
        {OTA_ITEM_DATA, "flash_tone", "file://sdcard/missing.bin", NULL, {0}, false, true, NULL, NULL},
        {OTA_ITEM_APP, NULL, "file://sdcard/new.bin", NULL, {0}, true, false, NULL, NULL},
    };
    /* break_after_fail: the app item never runs */
    assert_int_equal(run(&t, items, 2, &ev, false, false), OTA_ERR_FILE_NOT_FOUND);
    assert_int_equal(ev.n, 1);
    assert_int_equal(ev.results[0], OTA_RESULT_FILE_NOT_FOUND);
    assert_false(ev.reboot);
    /* without it, the list goes on and the app item's reboot stands */
    items[0].break_after_fail = false;
    assert_int_equal(run(&t, items, 2, &ev, false, false), OTA_ERR_FILE_NOT_FOUND);
    assert_int_equal(ev.n, 2);
    assert_int_equal(ev.results[1], OTA_RESULT_SUCCESS);
    assert_true(ev.reboot);
    buf_free(&b);
    tmp_flash_destroy(&t);
}

static void new_ota_refused_while_pending_verify(void **state)
{
    (void)state;
    struct tmp_flash t;
    struct events ev;
    device(&t);
    struct buf b = make_image("play_mp3_control", "v2.0.0", 64 * 1024, OTA_CHIP_ESP32);
    put_file(sd, "new.bin", b.data, b.len);
    struct ota_item item = {OTA_ITEM_APP, NULL, "file://sdcard/new.bin", NULL, {0}, true, false, NULL, NULL};
    assert_int_equal(run(&t, &item, 1, &ev, false, true), OTA_OK);
    static struct ota_boot_result res;
    struct ota_boot_opts bo = {true, OTA_CHIP_ESP32, 0, NULL, 0, false};
    assert_int_equal(ota_boot(&t.hf.flash, &bo, &res), OTA_OK);
    assert_int_equal(res.otadata_state, OTA_IMG_PENDING_VERIFY);
    assert_int_equal(run(&t, &item, 1, &ev, false, true), OTA_ERR_PENDING_VERIFY);
    assert_false(ev.reboot);
    buf_free(&b);
    tmp_flash_destroy(&t);
}

static void version_parser(void **state)
{
    (void)state;
    assert_int_equal(ota_version_parse("v1.2.3"), 0x010203);
    assert_int_equal(ota_version_parse("V255.255.255"), 0xFFFFFF);
    assert_int_equal(ota_version_parse("v0.0.0"), 0);
    assert_int_equal(ota_version_parse("v2.2-237-g6532b89f"), -1);
    assert_int_equal(ota_version_parse("1.2.3"), -1);
    assert_int_equal(ota_version_parse("v1.2"), -1);
    assert_int_equal(ota_version_parse("v1.2.3.4"), -1);
    assert_int_equal(ota_version_parse("v256.0.0"), -1);
    assert_int_equal(ota_version_parse("v1..3"), -1);
    assert_int_equal(ota_version_parse("v1.2.3 "), -1);
    assert_int_equal(ota_version_parse(""), -1);
    assert_int_equal(ota_version_parse(NULL), -1);
}

static void results_and_uris(void **state)
{
    (void)state;
    for (int r = 0x90001; r <= 0x9000D; r++) {
        assert_string_not_equal(ota_result_name(r), "?");
    }
    assert_string_equal(ota_result_name(OTA_RESULT_NO_HIGHER_VERSION), "NO_HIGHER_VERSION");
    assert_int_equal(OTA_RESULT_NO_HIGHER_VERSION, 0x90004);
    assert_int_equal(ota_result_from_err(OTA_ERR_NOT_NEWER), OTA_RESULT_NO_HIGHER_VERSION);
    assert_int_equal(ota_result_from_err(OTA_OK), OTA_RESULT_SUCCESS);
    const char *s;
    assert_int_equal(ota_uri_scheme("https://h/x", &s), OTA_OK);
    assert_string_equal(s, "https");
    assert_int_equal(ota_uri_scheme("file://sdcard/x", &s), OTA_OK);
    assert_int_equal(ota_uri_scheme("ftp://h/x", &s), OTA_ERR_URI);
    assert_int_equal(ota_uri_scheme("http://", &s), OTA_ERR_URI);
    assert_int_equal(ota_uri_scheme("httpx://h", &s), OTA_ERR_URI);
}

struct kv {
    char keys[8][64], values[8][64];
    int n;
};

static int collect(void *ctx, const char *key, const char *value)
{
    struct kv *kv = ctx;
    snprintf(kv->keys[kv->n], 64, "%s", key);
    snprintf(kv->values[kv->n++], 64, "%s", value);
    return 0;
}

static void sdkconfig_files(void **state)
{
    (void)state;
    static const char text[] = "#\n# OTA App Configuration\n#\nCONFIG_WIFI_SSID=\"my \\\"ssid\\\"\"\n"
                               "CONFIG_DATA_PARTITION_LABEL=\"flash_tone\"  \n\n"
                               "# CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER is not set\nCONFIG_X=y\r\n";
    struct kv kv = {0};
    unsigned bad = 0;
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), collect, &kv, &bad), OTA_OK);
    assert_int_equal(kv.n, 4);
    assert_string_equal(kv.keys[0], "WIFI_SSID");
    assert_string_equal(kv.values[0], "my \"ssid\"");
    assert_string_equal(kv.values[1], "flash_tone");
    assert_string_equal(kv.keys[2], "FORCE_CHECK_FIRMWARE_VERSION_NUMBER");
    assert_string_equal(kv.values[2], "n");
    assert_string_equal(kv.values[3], "y");
    static const char *bad_texts[] = {"CONFIG_A=1\nWIFI=x\n", "CONFIG_A=1\nCONFIG_B=\"open\n", "CONFIG_=1\n"};
    static const unsigned bad_lines[] = {2, 2, 1};
    for (int i = 0; i < 3; i++) {
        memset(&kv, 0, sizeof(kv));
        assert_int_equal(ota_sdkconfig_parse(bad_texts[i], strlen(bad_texts[i]), collect, &kv, &bad),
                         OTA_ERR_CONFIG_SYNTAX);
        assert_int_equal(bad, bad_lines[i]);
    }
}

/* The item clock a port's transport keeps: reconnecting to the same URI keeps it, the next
 * item's URI starts a new one, and the tick counter's wrap changes nothing. */
static void the_item_deadline_survives_reconnects_not_items(void **state)
{
    (void)state;
    const uint32_t starts[] = {0, 0xFFFFFFFFu - 300000u};  /* the second wraps within the item */
    for (unsigned i = 0; i < 2; i++) {
        struct ota_item_clock c = {0};
        uint32_t t0 = starts[i];
        assert_false(ota_item_clock_passed(&c, t0));  /* not started: no deadline */
        ota_item_clock_open(&c, "http://host/app.bin", 900, t0);
        assert_false(ota_item_clock_passed(&c, t0 + 899999u));
        ota_item_clock_open(&c, "http://host/app.bin", 900, t0 + 600000u);  /* a reconnect */
        assert_false(ota_item_clock_passed(&c, t0 + 899999u));
        assert_true(ota_item_clock_passed(&c, t0 + 900000u));
        assert_true(ota_item_clock_passed(&c, t0 + 900000u + 3600000u));
        ota_item_clock_open(&c, "http://host/tone.bin", 900, t0 + 950000u);  /* the next item */
        assert_false(ota_item_clock_passed(&c, t0 + 950000u));
        assert_true(ota_item_clock_passed(&c, t0 + 1850000u));
    }
}

/* Where file://sdcard/PATH may lead, by its text: both ports ask this. */
static void card_paths_that_leave_the_card(void **state)
{
    (void)state;
    const char *leave[] = {"", "/etc/passwd", "..", "../secret.bin", "a/../../b", "a/..", "a/../b"};
    const char *stay[] = {"flash_tone.bin", "a/b.bin", "..a", "a..", "a/..b/c", "a//b", "...", "a/./b"};
    for (size_t i = 0; i < sizeof(leave) / sizeof(leave[0]); i++) {
        assert_true(ota_card_path_escapes(leave[i]));
    }
    for (size_t i = 0; i < sizeof(stay) / sizeof(stay[0]); i++) {
        assert_false(ota_card_path_escapes(stay[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(app_update_erases_only_what_the_image_needs),
        cmocka_unit_test(memory_does_not_grow_with_the_image),
        cmocka_unit_test(refusals_touch_no_flash),
        cmocka_unit_test(list_semantics),
        cmocka_unit_test(new_ota_refused_while_pending_verify),
        cmocka_unit_test(version_parser),
        cmocka_unit_test(results_and_uris),
        cmocka_unit_test(the_item_deadline_survives_reconnects_not_items),
        cmocka_unit_test(card_paths_that_leave_the_card),
        cmocka_unit_test(sdkconfig_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
