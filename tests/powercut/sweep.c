/*
 * Power-cut sweep: the whole seed scenario (data item + app item + boot
 * switch + restart + first boot + the app marking itself valid), with the
 * power cut at every flash operation 1..N, once cleanly (the operation does
 * not happen) and once torn (a program clears a random subset of its bits,
 * an erase leaves a random mix), seeded by the cut index.
 *
 * After each cut: power on (the bootloader), the app starts (marks itself
 * valid if on trial), then the service runs the same list again. Pass =
 *  (a) the bootloader always boots a verified app, the old or the new one;
 *  (b) the data partition is the complete old image, the complete new image,
 *      or its journal says WRITING (detected as incomplete);
 *  (c) after the second run: the new app boots, VALID, and the data
 *      partition holds the complete new image, journal COMPLETE.
 *
 * --variant inplace|early-commit replaces the data procedure with a broken
 * one (the original's in-place write; committing before the last byte) to
 * show that the sweep catches them.
 *
 * With --expect-caught the run succeeds only if the sweep found failures
 * (for the broken variants).
 *
 * With --delta the app item is a delta patch (esp_delta_ota format, made by
 * our maker) of the old app into the new one, and names the full image as
 * its fallback: a rerun after the switch, with the new app running, finds
 * the patch made for another app and converges through the fallback.
 *
 * With --encrypted esp|chunked the app item is the new image encrypted to
 * the device's P-256 key (esp_encrypted_img's ECC-256, or our chunked
 * format): it restarts from byte 0 after a cut, and nothing changes the boot
 * before its tag (or every chunk's) verified. With --delta too, what is
 * encrypted is the patch: decrypted, then applied (its fallback as above).
 *
 * With --compressed the app item is the new image compressed (format 2,
 * a sync point every 8 KiB): after a cut it resumes at the journal's last
 * checkpoint; the sweep counts the cuts that left one, and fails if none did.
 * With --compact the app item is a compact patch (format 4, a sync point
 * every 8 KiB of the new image) with the full image as its fallback: it
 * resumes at the checkpoints the same way, counted the same way.
 *
 * Usage: sweep [--variant safe|inplace|early-commit] [--delta] [--compressed] [--compact]
 *              [--encrypted esp|chunked] [--expect-caught] [--report FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/boot.h"
#include "ota/error.h"
#include "ota/host_decrypt.h"
#include "ota/host_encrypt.h"
#include "ota/host_flash.h"
#include "ota/host_log.h"
#include "ota/host_transport.h"
#include "ota/journal.h"
#include "ota/otadata.h"
#include "ota/service.h"
#include "ota/tone.h"
#include "../../examples/ota_example/tone_upgrade.h"
#include "cz_make.h"
#include "delta_make.h"

#define APP_SIZE (64u * 1024u)
#define FLASH_SIZE (4u * 1024u * 1024u)

static const char seed_csv[] =
    "nvs, data, nvs, , 0x4000\notadata, data, ota, , 0x2000\nphy_init, data, phy, , 0x1000\n"
    "ota_0, app, ota_0, , 1M\nota_1, app, ota_1, , 1M\nflash_tone, data, 0xff, , 1M\n";

static char dir[64], base_path[96], dev_path[96], sd[96];
static struct ota_ptable table;
static struct ota_host_transport ht;
static struct ota_service svc;
static struct ota_item_patch patch_work;
static const char *variant = "safe";
static bool delta_app;  /* the app item is a patch of the old app */
static bool compact_app;  /* that patch is a compact one with sync points */
static bool compressed_app;  /* the app item is the new image compressed, with sync points */
static unsigned checkpoints_left;  /* cuts after which the app slot's journal held a decoder checkpoint */
static const char *encrypted;  /* the app item is encrypted: "esp" or "chunked" */
static struct ota_crypto_key *device_key;
static uint8_t decrypt_work[OTA_CHUNKED_WORK_LEN];

struct blob {
    uint8_t *data;
    size_t len, cap;
};
static struct blob old_tone, new_tone;

static int emit(void *ctx, const void *data, size_t len)
{
    struct blob *b = ctx;
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) {
            return OTA_ERR_NO_MEM;
        }
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return OTA_OK;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "sweep: %s: %s\n", what, ota_strerror(err));
    exit(2);
}

static void make_tone(struct blob *out, unsigned files, uint32_t salt)
{
    uint32_t lengths[4];
    uint8_t types[4] = {0};
    for (unsigned i = 0; i < files; i++) {
        lengths[i] = 5000 + 2700 * i + salt % 97;
    }
    struct ota_tone_build_params p = {0, (uint16_t)files, lengths, types, NULL, NULL, NULL};
    struct ota_tone_writer w;
    if (ota_tone_write_begin(&w, &p, emit, out)) {
        die("tone", OTA_ERR_INVALID_ARG);
    }
    for (unsigned i = 0; i < files; i++) {
        for (uint32_t k = 0; k < lengths[i]; k++) {
            uint8_t b = (uint8_t)(k * 31 + i * 7 + salt);
            ota_tone_write_data(&w, &b, 1);
        }
        ota_tone_write_file_end(&w);
    }
    ota_tone_write_end(&w);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        die(path, OTA_ERR_IO);
    }
}

static void copy_file(const char *from, const char *to)
{
    struct blob b = {0};
    FILE *f = fopen(from, "rb");
    uint8_t chunk[65536];
    size_t n;
    if (!f) {
        die(from, OTA_ERR_IO);
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        emit(&b, chunk, n);
    }
    fclose(f);
    write_file(to, b.data, b.len);
    free(b.data);
}

static void put(struct ota_host_flash *hf, const char *label, const struct blob *b)
{
    const struct ota_partition *p = ota_pt_find_label(&table, label);
    uint32_t e = ((uint32_t)b->len + 4095u) & ~4095u;
    if (ota_flash_erase(&hf->flash, p->offset, e) || ota_flash_program(&hf->flash, p->offset, b->data, (uint32_t)b->len)) {
        die("writing the base device", OTA_ERR_IO);
    }
}

/* The app item compressed, a sync point every 8 KiB. */
static void write_compressed(const struct blob *n)
{
    struct delta_buf out = {0};
    char path[160];
    if (cz_compress_sync(n->data, n->len, 8192, &out)) {
        die("compress", OTA_ERR_NO_MEM);
    }
    snprintf(path, sizeof(path), "%s/app.cz", sd);
    write_file(path, out.data, out.len);
    free(out.data);
}

/* The app item's patch, old -> new, in esp_delta_ota's format (kept in
 * patch for an encrypted patch), or compact with relocations predicted
 * (its map written to the slot before the image: cuts tear it too). */
static void write_patch(const struct blob *o, const struct blob *n, struct blob *patch)
{
    struct delta_plan plan = {0};
    struct delta_buf out = {0};
    char path[160];
    if (delta_plan_make(o->data, o->len, n->data, n->len, &plan) ||
        (compact_app ? delta_write_compact_opts(o->data, o->len, n->data, n->len, &plan, 8192, OTA_DELTA_FLAG_RELOC,
                                                &out)
                     : delta_write_esp(o->data, o->len, n->data, n->len, &plan, &out))) {
        die("making the patch", OTA_ERR_NO_MEM);
    }
    snprintf(path, sizeof(path), "%s/app.%s", sd, compact_app ? "otadelta" : "espdelta");
    write_file(path, out.data, out.len);
    patch->data = out.data;
    patch->len = out.len;
    delta_plan_free(&plan);
}

/* The app item encrypted to the device's key (and the device given that key). */
static void write_encrypted(const struct blob *n)
{
    uint8_t *enc;
    size_t len;
    char path[160];
    int err = strcmp(encrypted, "esp") == 0
                  ? ota_host_encrypt_esp(n->data, n->len, OTA_TEST_DATA_DIR "/test_p256_pub.pem", &enc, &len)
                  : ota_host_encrypt_chunked(n->data, n->len, OTA_TEST_DATA_DIR "/test_p256_pub.pem", 12, &enc, &len);
    if (err || (err = ota_host_decrypt_key_load(OTA_TEST_DATA_DIR "/test_p256.pem", &device_key))) {
        die("encrypting the app", err);
    }
    snprintf(path, sizeof(path), "%s/app.enc", sd);
    write_file(path, enc, len);
    free(enc);
}

/* ---- the deliberately broken data procedures ---------------------------- */

/* Write the item's stream straight into its partition from `at`, with no
 * journal: what the broken procedures have in common. */
static int raw_copy(struct ota_service *s, const struct ota_partition *p)
{
    uint8_t buf[1024];
    uint32_t at = 0;
    int n, err;
    while ((n = ota_item_read(s, buf, sizeof(buf))) > 0) {
        if ((err = ota_flash_program(s->cfg.flash, p->offset + at, buf, (uint32_t)n))) {
            return err;
        }
        at += (uint32_t)n;
    }
    return n;
}

static const struct ota_partition *item_partition(struct ota_service *s, struct ota_item *item)
{
    return ota_pt_find_label(&s->dev.table, item->label);
}

/* The original: erase the data partition, write in place, no journal. */
static int inplace_execute(struct ota_service *s, struct ota_item *item)
{
    const struct ota_partition *p = item_partition(s, item);
    int err = ota_flash_erase(s->cfg.flash, p->offset, 64 * 1024);
    return err ? err : raw_copy(s, p);
}

/* Commits (journal COMPLETE) before the last byte is written. */
static int early_commit_execute(struct ota_service *s, struct ota_item *item)
{
    const struct ota_partition *p = item_partition(s, item);
    struct ota_journal j;
    int err;
    memset(&j, 0, sizeof(j));
    if ((err = ota_journal_begin(s->cfg.flash, p, &j, 0, NULL, NULL)) ||
        (err = ota_journal_set_state(s->cfg.flash, p, &j, OTA_JOURNAL_COMPLETE)) ||
        (err = ota_flash_erase(s->cfg.flash, p->offset, 64 * 1024))) {
        return err;
    }
    return raw_copy(s, p);
}

/* ---- one life of the device ------------------------------------------------- */

static int run_list(struct ota_host_flash *hf, bool *reboot)
{
    struct ota_service_config c;
    memset(&c, 0, sizeof(c));
    c.flash = &hf->flash;
    c.transport = &ht.transport;
    c.rollback = true;
    c.allow_plain_http = true;
    c.chip_id = OTA_CHIP_ESP32;
    c.patch_work = &patch_work;
    c.decrypt_key = device_key;
    c.decrypt_work = decrypt_work;
    static struct ota_boot_result booted;  /* the port knows what runs: what the last boot booted */
    struct ota_boot_opts dry = {true, OTA_CHIP_ESP32, 300, NULL, 0, true};
    int err = ota_boot(&hf->flash, &dry, &booted);
    if (err) {
        return err;
    }
    c.running_app_offset = booted.part.offset;
    err = ota_service_init(&svc, &c);
    if (err) {
        return err;
    }
    struct ota_item items[2];
    memset(items, 0, sizeof(items));
    items[0].type = OTA_ITEM_DATA;
    items[0].label = "flash_tone";
    items[0].uri = "file://sdcard/flash_tone.bin";
    tone_upgrade_ops(&items[0].ops);
    if (strcmp(variant, "inplace") == 0) {
        items[0].ops.execute = inplace_execute;
    } else if (strcmp(variant, "early-commit") == 0) {
        items[0].ops.execute = early_commit_execute;
    }
    items[1].type = OTA_ITEM_APP;
    items[1].uri = encrypted        ? "file://sdcard/app.enc"
                   : compact_app    ? "file://sdcard/app.otadelta"
                   : delta_app      ? "file://sdcard/app.espdelta"
                   : compressed_app ? "file://sdcard/app.cz"
                                    : "file://sdcard/app.bin";
    items[1].fallback_uri = delta_app ? "file://sdcard/app.bin" : NULL;
    items[1].reboot_flag = true;
    ota_service_set_upgrade_list(&svc, items, 2);
    return ota_service_start(&svc, reboot);
}

/* Boot, and the app's start-up: a trial boot passes its self-test and marks
 * itself valid. */
static int power_on(struct ota_host_flash *hf, struct ota_boot_result *res)
{
    struct ota_boot_opts bo = {true, OTA_CHIP_ESP32, 300, NULL, 0, false};
    int err = ota_boot(&hf->flash, &bo, res);
    if (err) {
        return err;
    }
    if (res->otadata_state == OTA_IMG_PENDING_VERIFY) {
        struct ota_otadata od;
        const struct ota_partition *p = ota_pt_find_label(&table, "otadata");
        if ((err = ota_otadata_read(&hf->flash, p, &od)) || (err = ota_otadata_set_state(&hf->flash, p, &od, OTA_IMG_VALID))) {
            return err;
        }
        res->otadata_state = OTA_IMG_VALID;
    }
    return OTA_OK;
}

/* The update as the device lives it: service, restart, boot, mark valid. */
static int scenario(struct ota_host_flash *hf)
{
    bool reboot = false;
    static struct ota_boot_result res;
    int err = run_list(hf, &reboot);
    if (hf->powered_off) {
        return OTA_ERR_POWER_LOST;
    }
    if (err) {
        return err;
    }
    if (reboot && (err = power_on(hf, &res))) {
        return err;
    }
    return hf->powered_off ? OTA_ERR_POWER_LOST : OTA_OK;
}

static bool content_is(struct ota_host_flash *hf, const struct blob *b)
{
    static uint8_t buf[64 * 1024];
    const struct ota_partition *p = ota_pt_find_label(&table, "flash_tone");
    return ota_flash_read(&hf->flash, p->offset, buf, (uint32_t)b->len) == OTA_OK && memcmp(buf, b->data, b->len) == 0;
}

/* ---- the sweep ----------------------------------------------------------------- */

struct tally {
    unsigned tried, failed;
};

static void report_failure(unsigned k, const char *mode, const char *what)
{
    fprintf(stderr, "FAIL cut %u (%s): %s\n", k, mode, what);
}

static bool one_cut(unsigned k, enum ota_cut_mode mode)
{
    const char *mname = mode == OTA_CUT_TORN ? "torn" : "clean";
    struct ota_host_flash hf;
    static struct ota_boot_result res;
    enum ota_journal_state js;
    const struct ota_partition *tone = ota_pt_find_label(&table, "flash_tone");

    copy_file(base_path, dev_path);
    if (ota_host_flash_open(&hf, dev_path)) {
        die("open", OTA_ERR_IO);
    }
    hf.cut_at = k;
    hf.cut_mode = mode;
    hf.cut_seed = k * 2654435761u + (unsigned)mode;
    int err = scenario(&hf);
    ota_host_flash_close(&hf);
    if (err != OTA_ERR_POWER_LOST) {
        report_failure(k, mname, "the cut did not happen (fewer operations than the reference run)");
        return false;
    }
    /* power returns */
    if (ota_host_flash_open(&hf, dev_path)) {
        die("open", OTA_ERR_IO);
    }
    bool ok = true;
    if ((err = power_on(&hf, &res)) != OTA_OK) {
        report_failure(k, mname, "(a) no app boots after the cut");
        ok = false;
    } else if (strcmp(res.info.desc.project_name, "ota_example") != 0 &&
               strcmp(res.info.desc.project_name, "play_mp3_control") != 0) {
        report_failure(k, mname, "(a) an unknown app boots");
        ok = false;
    }
    if (ota_journal_read(&hf.flash, tone, &js) != OTA_OK) {
        die("journal", OTA_ERR_IO);
    }
    struct ota_journal aj;
    if ((compressed_app || compact_app) && ota_journal_load(&hf.flash, ota_pt_find_label(&table, "ota_1"), &aj) == OTA_OK &&
        aj.state == OTA_JOURNAL_WRITING && aj.cp_out) {
        checkpoints_left++;
    }
    bool is_old = content_is(&hf, &old_tone), is_new = content_is(&hf, &new_tone);
    if (js == OTA_JOURNAL_COMPLETE && !is_new) {
        report_failure(k, mname, "(b) journal says COMPLETE but the data is not the new image");
        ok = false;
    } else if (js != OTA_JOURNAL_WRITING && !is_old && !is_new) {
        report_failure(k, mname, "(b) data partition is neither old nor new, and not marked incomplete");
        ok = false;
    }
    /* the second run converges */
    if (ok && (err = scenario(&hf)) != OTA_OK) {
        report_failure(k, mname, "(c) the second run failed");
        fprintf(stderr, "     %s\n", ota_strerror(err));
        ok = false;
    }
    if (ok) {
        ota_host_flash_close(&hf);
        ota_host_flash_open(&hf, dev_path);
        if (power_on(&hf, &res) != OTA_OK || strcmp(res.info.desc.project_name, "play_mp3_control") != 0 ||
            res.otadata_state != OTA_IMG_VALID) {
            report_failure(k, mname, "(c) the new app is not the one booting, VALID");
            ok = false;
        } else if (ota_journal_read(&hf.flash, tone, &js) != OTA_OK || js != OTA_JOURNAL_COMPLETE ||
                   !content_is(&hf, &new_tone)) {
            report_failure(k, mname, "(c) the data partition is not the complete new image");
            ok = false;
        }
    }
    ota_host_flash_close(&hf);
    return ok;
}

int main(int argc, char **argv)
{
    const char *report = NULL;
    bool expect_caught = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--expect-caught") == 0) {
            expect_caught = true;
        } else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) {
            variant = argv[++i];
        } else if (strcmp(argv[i], "--delta") == 0) {
            delta_app = true;
        } else if (strcmp(argv[i], "--compact") == 0) {
            delta_app = compact_app = true;
        } else if (strcmp(argv[i], "--compressed") == 0) {
            compressed_app = true;
        } else if (strcmp(argv[i], "--encrypted") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "esp") == 0 || strcmp(argv[i + 1], "chunked") == 0)) {
            encrypted = argv[++i];
        } else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
            report = argv[++i];
        } else {
            fprintf(stderr, "usage: sweep [--variant safe|inplace|early-commit] [--delta] [--compressed] [--compact] "
                            "[--encrypted esp|chunked] "
                            "[--expect-caught] [--report FILE]\n");
            return 2;
        }
    }
    ota_host_log_mute(true);
    strcpy(dir, "/tmp/ota-sweep-XXXXXX");
    if (!mkdtemp(dir)) {
        die("mkdtemp", OTA_ERR_IO);
    }
    snprintf(base_path, sizeof(base_path), "%s/base.img", dir);
    snprintf(dev_path, sizeof(dev_path), "%s/dev.img", dir);
    snprintf(sd, sizeof(sd), "%s/sd", dir);
    mkdir(sd, 0755);

    /* the update's sources */
    struct blob app_old = {0}, app_new = {0};
    struct ota_image_build_params po = {"ota_example", "v1.0.0", 0, OTA_CHIP_ESP32, APP_SIZE, "", "", ""};
    struct ota_image_build_params pn = {"play_mp3_control", "v2.0.0", 0, OTA_CHIP_ESP32, APP_SIZE, "", "", ""};
    ota_image_build(&po, emit, &app_old);
    ota_image_build(&pn, emit, &app_new);
    make_tone(&old_tone, 2, 1);
    make_tone(&new_tone, 3, 2);
    char path[160];
    snprintf(path, sizeof(path), "%s/app.bin", sd);
    write_file(path, app_new.data, app_new.len);
    struct blob patch = {0};
    if (delta_app) {
        write_patch(&app_old, &app_new, &patch);
    }
    if (encrypted) {
        write_encrypted(delta_app ? &patch : &app_new);  /* an encrypted patch: decrypted, then applied */
    }
    free(patch.data);
    if (compressed_app) {
        write_compressed(&app_new);
    }
    snprintf(path, sizeof(path), "%s/flash_tone.bin", sd);
    write_file(path, new_tone.data, new_tone.len);
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);

    /* the device before the update: old app running, old tones as flashed */
    struct ota_host_flash hf;
    struct ota_pt_diag d;
    uint8_t bin[OTA_PT_LEN];
    static struct ota_boot_result res;
    if (ota_host_flash_create(&hf, base_path, FLASH_SIZE) ||
        ota_pt_parse_csv(seed_csv, strlen(seed_csv), FLASH_SIZE, &table, &d) || ota_pt_to_binary(&table, bin) ||
        ota_flash_program(&hf.flash, OTA_PT_OFFSET, bin, sizeof(bin))) {
        die("base device", OTA_ERR_IO);
    }
    put(&hf, "ota_0", &app_old);
    put(&hf, "flash_tone", &old_tone);
    if (power_on(&hf, &res)) {
        die("first boot", OTA_ERR_IO);
    }
    ota_host_flash_close(&hf);

    /* reference run: how many operations the whole update takes */
    copy_file(base_path, dev_path);
    ota_host_flash_open(&hf, dev_path);
    ota_host_flash_reset_counters(&hf);
    int err = scenario(&hf);
    uint64_t n_ops = hf.count.ops;
    ota_host_flash_close(&hf);
    if (err) {
        die("reference run", err);
    }

    struct tally clean = {0, 0}, torn = {0, 0};
    for (unsigned k = 1; k <= n_ops; k++) {
        clean.tried++;
        clean.failed += !one_cut(k, OTA_CUT_CLEAN);
        torn.tried++;
        torn.failed += !one_cut(k, OTA_CUT_TORN);
    }
    unsigned failed = clean.failed + torn.failed;
    if ((compressed_app || compact_app) && checkpoints_left == 0) {
        fprintf(stderr, "FAIL no cut left a decoder checkpoint: the item never resumed mid-image\n");
        failed++;
    }
    char summary[640];
    snprintf(summary, sizeof(summary),
             "power-cut sweep, variant %s%s%s%s: %llu flash operations in the whole update (app %u B, tone %zu B)\n"
             "cut points tried: %u plain, %u torn; failures: %u plain, %u torn\n",
             variant,
             compact_app      ? ", app as a compact patch"
             : delta_app      ? ", app as a delta patch"
             : compressed_app ? ", app compressed"
                              : "",
             encrypted ? ", app encrypted: " : "", encrypted ? encrypted : "", (unsigned long long)n_ops, APP_SIZE,
             new_tone.len, clean.tried, torn.tried, clean.failed, torn.failed);
    if (compressed_app || compact_app) {
        size_t used = strlen(summary);
        snprintf(summary + used, sizeof(summary) - used, "cuts that left a decoder checkpoint to resume at: %u\n",
                 checkpoints_left);
    }
    fputs(summary, stdout);
    if (report) {
        FILE *f = fopen(report, "w");
        if (f) {
            fputs(summary, f);
            fclose(f);
        }
    }
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0) {
        fprintf(stderr, "sweep: could not remove %s\n", dir);
    }
    free(app_old.data);
    free(app_new.data);
    ota_host_decrypt_key_free(device_key);
    if (expect_caught) {
        /* one test: did the sweep catch the broken procedure? */
        printf("the sweep %s the broken '%s' procedure (%u failing cut points)\n", failed ? "caught" : "MISSED",
               variant, failed);
        printf("%d passed, %d failed\n", failed ? 1 : 0, failed ? 0 : 1);
        return failed ? 0 : 1;
    }
    printf("%u passed, %u failed\n", clean.tried + torn.tried - failed, failed);
    return failed ? 1 : 0;
}
