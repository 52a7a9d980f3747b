/* The push API (ota/update.h) driven in random orders of calls: begin (with
 * or without a journal, the length announced, unknown, short or long),
 * writes of 0..64 KiB (NULL for 0, the image's bytes from the cursor or
 * past its end, now and then a flipped byte), seeks anywhere up to past
 * what is in flash, finish and abort, in any order, some runs cut by a
 * power loss at a random flash operation. After every run the device must
 * boot the app it ran or the app that was pushed, whole, and nothing else.
 * Seeded: a failure prints its seed and run; OTA_PUSH_SEED=N repeats it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/update.h"

#define RUNS 1500
#define MAX_CALLS 14
#define MAX_CHUNK (64u * 1024u)

static struct ota_ptable table;
static struct ota_device dev;
static struct ota_app_update up;
static struct buf apps[2];      /* two apps the device alternates between */
static uint8_t chunk[MAX_CHUNK];
static uint64_t rng;

static uint32_t next(void)
{
    rng ^= rng << 13;  /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint32_t below(uint32_t n)
{
    return n ? next() % n : 0;
}

/* One run's view of the update it drives. */
struct run {
    const struct buf *img;  /* what is pushed */
    uint64_t cursor;        /* where the next write goes, as the caller sees it */
    bool begun;
};

static void call_begin(struct run *r)
{
    static const uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN] = {1, 2, 3};
    struct ota_app_options opt;
    memset(&opt, 0, sizeof(opt));
    int64_t len = (int64_t)r->img->len;
    switch (below(6)) {
    case 0: opt.image_len = OTA_LENGTH_UNKNOWN; break;
    case 1: opt.image_len = len - 1 - below(5000); break;
    case 2: opt.image_len = len + 1 + below(5000); break;
    default: opt.image_len = len; break;
    }
    if (below(2)) {
        opt.source_id = id;
        opt.validator = r->img == &apps[0] ? "\"a\"" : "\"b\"";
    }
    int err = ota_app_begin(&up, &dev, &opt);
    r->begun = err == OTA_OK;
    r->cursor = r->begun && below(2) ? ota_app_resume_offset(&up) : 0;
    if (r->begun && r->cursor) {
        err = ota_app_seek(&up, r->cursor);
        r->begun = err == OTA_OK;
    }
}

static void call_write(struct run *r)
{
    uint32_t n = below(4) == 0 ? 0 : below(MAX_CHUNK + 1);
    if (n == 0) {
        assert_int_equal(ota_app_write(&up, NULL, 0), r->begun && up.phase == OTA_PHASE_OPEN ? OTA_OK
                                                                                             : OTA_ERR_INVALID_ARG);
        return;
    }
    memset(chunk, 0xFF, n);  /* past the image's end: bytes nobody announced */
    if (r->cursor < r->img->len) {
        size_t k = r->img->len - r->cursor < n ? r->img->len - r->cursor : n;
        memcpy(chunk, r->img->data + r->cursor, k);
    }
    if (below(16) == 0) {
        chunk[below(n)] ^= 0x20;
    }
    if (ota_app_write(&up, chunk, n) == OTA_OK) {
        r->cursor += n;
    }
}

static void call_seek(struct run *r)
{
    uint64_t written = ota_app_written(&up);
    uint64_t off = below(3) == 0 ? 0 : below((uint32_t)written + 4096);
    bool open = up.phase == OTA_PHASE_OPEN;
    int err = ota_app_seek(&up, off);
    if (err == OTA_OK) {
        r->cursor = off;
    } else if (open && off > written) {
        /* refused as what it is, and the update goes on */
        assert_int_equal(err, OTA_ERR_SEEK_UNWRITTEN);
        assert_int_equal(up.phase, OTA_PHASE_OPEN);
    }
}

/* One random sequence of calls; returns whether a power cut ended it. */
static bool random_run(struct tmp_flash *t, const struct buf *img)
{
    struct run r = {img, 0, false};
    unsigned calls = 1 + below(MAX_CALLS);
    ota_host_flash_reset_counters(&t->hf);
    t->hf.cut_at = below(4) == 0 ? 1 + below(60) : 0;
    t->hf.cut_seed = next();
    memset(&up, 0, sizeof(up));
    for (unsigned i = 0; i < calls && !t->hf.powered_off; i++) {
        unsigned what = below(10);
        if (what == 0 || !r.begun) {
            call_begin(&r);
        } else if (what <= 5) {
            call_write(&r);
        } else if (what <= 7) {
            call_seek(&r);
        } else if (what == 8) {
            (void)ota_app_finish(&up, NULL);
        } else {
            ota_app_abort(&up);
        }
    }
    /* a last write that runs the image to its end, then finish, now and then */
    if (r.begun && !t->hf.powered_off && below(2) == 0 && up.phase == OTA_PHASE_OPEN) {
        if (r.cursor < img->len && ota_app_write(&up, img->data + r.cursor, img->len - r.cursor) == OTA_OK) {
            r.cursor = img->len;
        }
        (void)ota_app_finish(&up, NULL);
    }
    bool cut = t->hf.powered_off;
    t->hf.cut_at = 0;
    return cut;
}

/* The device boots `old` from `old_label` or `img` from the other slot, and
 * the image it boots is byte for byte the one expected there. */
static const struct buf *boots_old_or_new(struct tmp_flash *t, const char *old_label, const struct buf *old,
                                          const struct buf *img)
{
    struct ota_boot_result res;
    struct ota_boot_opts bo = {false, OTA_CHIP_ESP32, 0, NULL, 0, false};
    assert_int_equal(ota_boot(&t->hf.flash, &bo, &res), OTA_OK);
    const struct buf *want = strcmp(res.part.label, old_label) == 0 ? old : img;
    assert_int_equal(res.info.image_len, want->len);
    uint8_t *got = malloc(want->len);
    assert_non_null(got);
    assert_int_equal(ota_flash_read(&t->hf.flash, res.part.offset, got, (uint32_t)want->len), OTA_OK);
    assert_memory_equal(got, want->data, want->len);
    free(got);
    assert_int_equal(ota_device_open(&dev, &t->hf.flash, res.part.offset), OTA_OK);
    return want;
}

static void random_orders_keep_the_device_bootable(void **state)
{
    (void)state;
    const char *env = getenv("OTA_PUSH_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed0019u;
    rng = seed ? seed : 1;
    printf("seed 0x%llx (OTA_PUSH_SEED repeats it)\n", (unsigned long long)seed);
    struct tmp_flash t;
    make_seed_device(&t, &table);
    write_partition(&t, ota_pt_find_label(&table, "ota_0"), apps[0].data, apps[0].len);
    const struct buf *running = &apps[0];
    assert_int_equal(ota_device_open(&dev, &t.hf.flash, booted_app_offset(&t.hf.flash)), OTA_OK);
    unsigned installed = 0, cuts = 0;
    for (unsigned run = 0; run < RUNS; run++) {
        char old_label[OTA_PT_LABEL_LEN + 1];
        const struct buf *img = running == &apps[0] ? &apps[1] : &apps[0];
        strcpy(old_label, dev.running->label);
        bool cut = random_run(&t, img);
        if (cut) {
            tmp_flash_reopen(&t);  /* power on again */
            cuts++;
        }
        const struct buf *now = boots_old_or_new(&t, old_label, running, img);
        if (now != running) {
            installed++;
        }
        running = now;
    }
    printf("%u runs (seed 0x%llx): %u installed the pushed app, %u ended by a power cut\n", RUNS,
           (unsigned long long)seed, installed, cuts);
    assert_true(installed > RUNS / 20);  /* the runs do reach the end, not only the refusals */
    assert_true(cuts > RUNS / 20);
    tmp_flash_destroy(&t);
}

static int setup(void **state)
{
    (void)state;
    apps[0] = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    apps[1] = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    buf_free(&apps[0]);
    buf_free(&apps[1]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_orders_keep_the_device_bootable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
