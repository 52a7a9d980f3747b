/* The manifest core: the strict parser, the rollout bucket, the decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/host_release.h"
#include "ota/host_sign.h"
#include "ota/host_transport.h"
#include "ota/image.h"
#include "ota/manifest.h"
#include "ota/release.h"
#include "ota/service.h"
#include "ota/signature.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
               c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define GOOD_HEAD "{\"format\": 1, \"project\": \"lamp\", \"version\": \"v2.0.0\", \"secure_version\": 0, " \
                  "\"chip\": \"esp32\", \"serial\": 7, \"rollout_percent\": 50, \"app_sha256\": \"" H64("a") "\", " \
                  "\"image\": {\"uri\": \"app.bin\", \"size\": 1000, \"sha256\": \"" H64("b") "\"}, "
#define PATCH(base) "{\"base_app_sha256\": \"" H64(base) "\", \"uri\": \"p.compact\", \"size\": 10, " \
                    "\"sha256\": \"" H64("c") "\"}"
static const char GOOD[] = GOOD_HEAD "\"patches\": [" PATCH("1") ", " PATCH("2") "]}\n";

static int parse(const char *s, struct ota_manifest *m)
{
    return ota_manifest_parse(s, strlen(s), m);
}

static void parses_a_good_manifest(void **state)
{
    (void)state;
    static struct ota_manifest m;
    assert_int_equal(parse(GOOD, &m), OTA_OK);
    assert_string_equal(m.project, "lamp");
    assert_string_equal(m.version, "v2.0.0");
    assert_int_equal(m.serial, 7);
    assert_int_equal(m.rollout_percent, 50);
    assert_int_equal(m.image.size, 1000);
    assert_int_equal(m.app_sha256[0], 0xaa);
    assert_int_equal(m.patch_count, 2);
    assert_int_equal(m.patches[1].base_app_sha256[31], 0x22);
    assert_string_equal(m.patches[0].file.uri, "p.compact");
}

/* Replace the first `from` in GOOD by `to` and parse. */
static int parse_edit(const char *from, const char *to)
{
    static char buf[8192];
    static struct ota_manifest m;
    const char *at = strstr(GOOD, from);
    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
    return parse(buf, &m);
}

static void refuses_what_is_not_strict(void **state)
{
    (void)state;
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": 07"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": -7"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": 7.5"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": 4294967296"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": 7, \"serial\": 8"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7", "\"serial\": 7, \"extra\": 1"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"serial\": 7, ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("lamp", "la\\u006dp"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"rollout_percent\": 50", "\"rollout_percent\": 101"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_sha256\": \"a", "\"app_sha256\": \"A"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_sha256\": \"a", "\"app_sha256\": \""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("]}\n", "]}\n{}"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"format\": 1", "\"format\": 3"), OTA_ERR_MANIFEST_FORMAT);
    /* format 2 names its items otherwise: format 1's keys under it are unknown */
    assert_int_equal(parse_edit("\"format\": 1", "\"format\": 2"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"format\": 1, ", ""), OTA_ERR_MANIFEST_SYNTAX);
    /* a size of 0 is no bound on a stream: a malformed manifest */
    assert_int_equal(parse_edit("\"size\": 1000", "\"size\": 0"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"size\": 10", "\"size\": 0"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"project\": \"lamp\", ", ""), OTA_ERR_MANIFEST_SYNTAX);  /* missing */
    /* a truncated manifest, at every length */
    static struct ota_manifest m;
    for (size_t n = 0; n < strlen(GOOD) - 1; n++) {
        assert_int_not_equal(ota_manifest_parse(GOOD, n, &m), OTA_OK);
    }
    assert_int_equal(ota_manifest_parse(GOOD, OTA_MANIFEST_MAX_LEN + 1, &m), OTA_ERR_MANIFEST_TOO_BIG);
}

static void rollout_bucket_is_stable_and_widening_keeps_devices(void **state)
{
    (void)state;
    static struct ota_manifest m;
    assert_int_equal(parse(GOOD, &m), OTA_OK);
    unsigned in25 = 0, in50 = 0;
    for (int i = 0; i < 2000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "dev%d", i);
        unsigned b = ota_manifest_bucket(&m, id);
        assert_int_equal(b, ota_manifest_bucket(&m, id));
        assert_true(b < 100);
        in25 += b < 25;
        in50 += b < 50;
    }
    /* roughly the asked share: 2000 devices, +-4 % */
    assert_true(in25 > 420 && in25 < 580);
    assert_true(in50 > 920 && in50 < 1080);
}

static void decides_by_running_app(void **state)
{
    (void)state;
    static struct ota_manifest m;
    struct ota_device_view v;
    struct ota_manifest_decision d;
    assert_int_equal(parse(GOOD, &m), OTA_OK);
    m.rollout_percent = 100;
    memset(&v, 0, sizeof(v));
    v.project = "lamp";
    v.chip_id = OTA_CHIP_ESP32;
    v.device_id = "x";
    v.takes = OTA_MANIFEST_TAKES_PATCH;
    memset(v.running_app_sha256, 0x22, 32);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_PATCH);
    assert_ptr_equal(d.patch, &m.patches[1]);
    memset(v.running_app_sha256, 0x33, 32);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_FULL);
    memset(v.running_app_sha256, 0xaa, 32);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_UP_TO_DATE);
    memset(v.running_app_sha256, 0x22, 32);
    m.rollout_percent = 0;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_HELD_BACK);
    m.rollout_percent = 100;
    v.last_serial = 8;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_REPLAY);
    v.last_serial = 7;  /* the same serial again: accepted (a rerun after a power cut) */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    v.project = "pump";
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_PROJECT);
    v.project = "lamp";
    v.chip_id = OTA_CHIP_ESP32S3;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_CHIP);
}

/* An empty or missing project name on either side is a mismatch, never
 * "any project" (ESP-ADF apps have none: the integrator must name it). */
static void an_empty_project_matches_nothing(void **state)
{
    (void)state;
    static struct ota_manifest m;
    struct ota_device_view v;
    struct ota_manifest_decision d;
    assert_int_equal(parse(GOOD, &m), OTA_OK);
    memset(&v, 0, sizeof(v));
    v.chip_id = OTA_CHIP_ESP32;
    v.project = NULL;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_PROJECT);
    v.project = "";
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_PROJECT);
    v.project = "lamp";
    assert_int_equal(parse_edit("\"project\": \"lamp\"", "\"project\": \"\""), OTA_OK);  /* parses... */
    m.project[0] = '\0';
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_PROJECT);  /* ...and matches nothing */
    v.project = "";
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_PROJECT);
}

/* The image that rolled back on this device is skipped, whatever serial
 * names it; a different image is taken. */
static void a_rolled_back_image_is_skipped(void **state)
{
    (void)state;
    static struct ota_manifest m;
    struct ota_device_view v;
    struct ota_manifest_decision d;
    uint8_t bad[OTA_SHA256_LEN];
    assert_int_equal(parse(GOOD, &m), OTA_OK);
    m.rollout_percent = 100;
    memset(&v, 0, sizeof(v));
    v.project = "lamp";
    v.chip_id = OTA_CHIP_ESP32;
    memset(v.running_app_sha256, 0x22, 32);
    v.takes = OTA_MANIFEST_TAKES_PATCH;
    memset(bad, 0xaa, sizeof(bad));  /* GOOD's app_sha256 */
    v.rolled_back_app_sha256 = bad;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_ROLLED_BACK);
    m.serial = 99;  /* a higher serial naming the same image: still skipped */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_ROLLED_BACK);
    m.app_sha256[0] = 0xab;  /* another image */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_PATCH);
}

static const char *test_key(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", OTA_TEST_DATA_DIR, name);
    return path;
}

/* The signature sector the image signer emits after `text`. */
static void sign_text(const char *text, size_t len, uint8_t sig[OTA_SIG_SECTOR_LEN])
{
    struct buf out = {0};
    assert_int_equal(ota_host_sign((const uint8_t *)text, len, test_key("test_p256.pem"), true, buf_emit, &out),
                     OTA_OK);
    assert_true(out.len == ota_sig_sector_offset((uint32_t)len) + OTA_SIG_SECTOR_LEN);
    memcpy(sig, out.data + ota_sig_sector_offset((uint32_t)len), OTA_SIG_SECTOR_LEN);
    buf_free(&out);
}

/* Bytes appended after the signed text (0xFF, which the padding would
 * hide, or anything else) are a signature failure, not a syntax error. */
static void appended_bytes_fail_the_signature(void **state)
{
    (void)state;
    static uint8_t sig[OTA_SIG_SECTOR_LEN], text[OTA_MANIFEST_MAX_LEN];
    static struct ota_sig_result work;
    uint8_t trusted[32];
    int why;
    size_t n = strlen(GOOD);
    assert_int_equal(ota_host_key_digest(test_key("test_p256_pub.pem"), trusted), OTA_OK);
    sign_text(GOOD, n, sig);
    memcpy(text, GOOD, n);
    assert_int_equal(ota_manifest_verify(text, n, sig, trusted, &work, &why), OTA_OK);
    for (size_t extra = 1; extra <= 3; extra++) {
        text[n + extra - 1] = 0xFF;
        assert_int_equal(ota_manifest_verify(text, n + extra, sig, trusted, &work, &why), OTA_ERR_MANIFEST_SIGNATURE);
        assert_int_equal(why, OTA_ERR_SIG_DIGEST);
    }
    text[n] = ' ';
    assert_int_equal(ota_manifest_verify(text, n + 1, sig, trusted, &work, &why), OTA_ERR_MANIFEST_SIGNATURE);
}

static void resolves_relative_uris(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "p.bin", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "http://h/r/p.bin");
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "https://cdn/x.bin", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://cdn/x.bin");
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "p.bin", out, 10), OTA_ERR_TOO_LONG);
    /* a presigned manifest URL: the base is its path's, not the query's last '/' */
    assert_int_equal(ota_manifest_resolve("https://h/r/manifest.json?X-Sig=a/b%2Fc", "p.bin", out, sizeof(out)),
                     OTA_OK);
    assert_string_equal(out, "https://h/r/p.bin");
    assert_int_equal(ota_manifest_resolve("https://h/r/manifest.json#x/y", "p.bin", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://h/r/p.bin");
}

/* Every manifest and release-record failure names a cause in the seed's
 * result codes: none is UNKNOWN. */
static void manifest_failures_have_result_names(void **state)
{
    (void)state;
    static const int codes[] = {
        OTA_ERR_MANIFEST_SYNTAX, OTA_ERR_MANIFEST_FORMAT, OTA_ERR_MANIFEST_SIGNATURE, OTA_ERR_MANIFEST_REPLAY,
        OTA_ERR_MANIFEST_PROJECT, OTA_ERR_MANIFEST_CHIP, OTA_ERR_MANIFEST_PATCH_DIGEST,
        OTA_ERR_MANIFEST_IMAGE_DIGEST, OTA_ERR_MANIFEST_TOO_BIG, OTA_ERR_MANIFEST_SIG_TOO_BIG,
        OTA_ERR_RELEASE_NO_SERIAL_STORE, OTA_ERR_RELEASE_RECORD,
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        int result = ota_result_from_err(codes[i]);
        assert_int_not_equal(result, OTA_RESULT_UNKNOWN);
        assert_string_not_equal(ota_result_name(result), "UNKNOWN");
    }
    assert_int_equal(ota_result_from_err(OTA_ERR_MANIFEST_PROJECT), OTA_RESULT_ERROR_PROJECT_NAME);
    assert_int_equal(ota_result_from_err(OTA_ERR_MANIFEST_REPLAY), OTA_RESULT_NO_HIGHER_VERSION);
}

static void the_signature_uri_keeps_the_query(void **state)
{
    (void)state;
    static char out[OTA_RELEASE_URI_MAX], long_uri[OTA_RELEASE_URI_MAX];
    assert_int_equal(ota_release_sig_uri("https://h/p/manifest.json", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://h/p/manifest.json.sig");
    assert_int_equal(ota_release_sig_uri("https://h/p/manifest.json?X-Sig=a/b&e=1", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://h/p/manifest.json.sig?X-Sig=a/b&e=1");
    assert_int_equal(ota_release_sig_uri("https://h/p/manifest.json#frag?x", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://h/p/manifest.json.sig#frag?x");
    memset(long_uri, 'a', sizeof(long_uri) - 1);
    assert_int_equal(ota_release_sig_uri(long_uri, out, sizeof(out)), OTA_ERR_TOO_LONG);
}

/* ---- the host's release record ------------------------------------------ */

#define REC_HEAD "CONFIG_MANIFEST_SERIAL=5\nCONFIG_MANIFEST_ROLLED_BACK_SERIAL=0\n"
#define REC_GOOD REC_HEAD "CONFIG_MANIFEST_ROLLED_BACK_SHA256=none\n"

static int rec_parse(const char *text)
{
    struct ota_release_record rec;
    return ota_host_release_record_parse(text, strlen(text), &rec);
}

static void the_host_record_is_read_strictly(void **state)
{
    (void)state;
    struct ota_release_record rec;
    static char big[2048];
    assert_int_equal(ota_host_release_record_parse(REC_GOOD, strlen(REC_GOOD), &rec), OTA_OK);
    assert_int_equal(rec.serial, 5);
    assert_int_equal(rec_parse(""), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse("\n"), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse("# only a comment\n"), OTA_ERR_RELEASE_RECORD);
    /* cut anywhere: never serial 0, never a smaller serial */
    for (size_t n = 0; n < strlen(REC_GOOD); n++) {
        assert_int_equal(ota_host_release_record_parse(REC_GOOD, n, &rec), OTA_ERR_RELEASE_RECORD);
    }
    assert_int_equal(rec_parse(REC_GOOD "CONFIG_MANIFEST_SERIAL=1\n"), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse(REC_GOOD "CONFIG_OTHER=1\n"), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse(REC_HEAD "CONFIG_MANIFEST_ROLLED_BACK_SHA256=abc\n"), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse("CONFIG_MANIFEST_SERIAL=-1\n" "CONFIG_MANIFEST_ROLLED_BACK_SERIAL=0\n"
                               "CONFIG_MANIFEST_ROLLED_BACK_SHA256=none\n"), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(rec_parse("CONFIG_MANIFEST_SERIAL=4294967296\n" "CONFIG_MANIFEST_ROLLED_BACK_SERIAL=0\n"
                               "CONFIG_MANIFEST_ROLLED_BACK_SHA256=none\n"), OTA_ERR_RELEASE_RECORD);
    memset(big, '#', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    memcpy(big, REC_GOOD, strlen(REC_GOOD));
    assert_int_equal(rec_parse(big), OTA_ERR_RELEASE_RECORD);
}

/* Every path to the same image reaches one record; created at the first
 * save; emptied afterwards, it is an error, not a fresh device. */
static void the_host_record_belongs_to_the_image(void **state)
{
    (void)state;
    char dir[] = "/tmp/ota-test-rec-XXXXXX", img[128], link[128], path[160];
    struct ota_release_record rec, got;
    assert_non_null(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/dev.img", dir);
    snprintf(link, sizeof(link), "%s/other-name.img", dir);
    put_file(dir, "dev.img", "x", 1);
    assert_int_equal(symlink(img, link), 0);
    assert_int_equal(ota_host_release_load(link, &got), OTA_OK);  /* missing: a fresh device */
    assert_int_equal(got.serial, 0);
    memset(&rec, 0, sizeof(rec));
    rec.serial = 9;
    rec.rolled_back_serial = 8;
    memset(rec.rolled_back_sha256, 0x5c, sizeof(rec.rolled_back_sha256));
    assert_int_equal(ota_host_release_save(link, &rec), OTA_OK);
    assert_int_equal(ota_host_release_load(img, &got), OTA_OK);
    assert_memory_equal(&got, &rec, sizeof(rec));
    rec.serial = 3;  /* never down */
    assert_int_equal(ota_host_release_save(img, &rec), OTA_OK);
    assert_int_equal(ota_host_release_load(link, &got), OTA_OK);
    assert_int_equal(got.serial, 9);
    snprintf(path, sizeof(path), "%s.manifest", img);
    put_file(dir, "dev.img.manifest", "", 0);
    assert_int_equal(ota_host_release_load(link, &got), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(ota_host_release_save(link, &rec), OTA_ERR_RELEASE_RECORD);  /* not papered over */
    /* a rollback learnt later (at start-up) lands in the same record, the serial kept */
    unlink(path);
    struct ota_release_store store;
    uint8_t bad[OTA_SHA256_LEN];
    memset(bad, 0x77, sizeof(bad));
    rec.serial = 12;
    assert_int_equal(ota_host_release_save(img, &rec), OTA_OK);
    ota_host_release_store(&store, link);
    assert_int_equal(ota_release_note_rolled_back(&store, 0, bad), OTA_OK);
    assert_int_equal(ota_host_release_load(img, &got), OTA_OK);
    assert_int_equal(got.serial, 12);
    assert_int_equal(got.rolled_back_serial, 0);
    assert_memory_equal(got.rolled_back_sha256, bad, sizeof(bad));
    unlink(path);
    unlink(link);
    unlink(img);
    rmdir(dir);
}

/* ---- the release item and the port's serial store ----------------------- */

struct fail_store {
    int load_err;
    unsigned loads;
};

static int failing_load(void *ctx, struct ota_release_record *rec)
{
    struct fail_store *f = ctx;
    memset(rec, 0, sizeof(*rec));
    f->loads++;
    return f->load_err;
}

static int never_save(void *ctx, const struct ota_release_record *rec)
{
    (void)ctx;
    (void)rec;
    fail();
    return OTA_ERR_IO;
}

static int last_err;
static void keep_result(void *ctx, const struct ota_event *ev)
{
    (void)ctx;
    if (ev->type == OTA_EVENT_RESULT) {
        last_err = ev->err;
    }
}

/* One release item on a seed device; its manifest is not on the card. */
static int run_release_item(const struct ota_release_config *rc)
{
    static struct tmp_flash t;
    static struct ota_ptable table;
    static struct ota_service svc;
    static struct ota_host_transport ht;
    static struct ota_release_item rel;
    char sd[] = "/tmp/ota-test-rsd-XXXXXX";
    struct ota_item item;
    struct ota_service_config c;
    bool reboot = false;
    assert_non_null(mkdtemp(sd));
    struct ota_host_transport_config tc = {.sdcard_dir = sd};
    ota_host_transport_init(&ht, &tc);
    make_seed_device(&t, &table);
    struct buf b = make_image("lamp", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(&t, ota_pt_find_label(&table, "ota_0"), b.data, b.len);
    buf_free(&b);
    memset(&c, 0, sizeof(c));
    c.flash = &t.hf.flash;
    c.transport = &ht.transport;
    c.on_event = keep_result;
    c.chip_id = OTA_CHIP_ESP32;
    c.running_app_offset = booted_app_offset(&t.hf.flash);
    assert_int_equal(ota_service_init(&svc, &c), OTA_OK);
    ota_release_item_init(&item, &rel, rc);
    assert_int_equal(ota_service_set_upgrade_list(&svc, &item, 1), OTA_OK);
    last_err = 1;
    ota_service_start(&svc, &reboot);
    assert_false(reboot);
    tmp_flash_destroy(&t);
    rmdir(sd);
    return last_err;
}

static void no_serial_store_refuses_manifests(void **state)
{
    (void)state;
    static const uint8_t key[32];
    struct fail_store fs = {OTA_ERR_RELEASE_RECORD, 0};
    struct ota_release_store store = {failing_load, never_save, &fs};
    struct ota_release_config rc;
    memset(&rc, 0, sizeof(rc));
    rc.manifest_uri = "file://sdcard/manifest.json";
    rc.manifest_key_digest = key;
    assert_int_equal(run_release_item(&rc), OTA_ERR_RELEASE_NO_SERIAL_STORE);
    rc.without_serial_store = true;  /* the integrator's opt-out: on to the manifest (absent here) */
    assert_int_equal(run_release_item(&rc), OTA_ERR_FILE_NOT_FOUND);
    rc.without_serial_store = false;
    rc.store = &store;  /* a damaged record stops the item before anything is fetched */
    assert_int_equal(run_release_item(&rc), OTA_ERR_RELEASE_RECORD);
    assert_int_equal(fs.loads, 1);
    static char long_uri[OTA_RELEASE_URI_MAX + 8];
    memset(long_uri, 'a', sizeof(long_uri) - 1);
    memcpy(long_uri, "file://sdcard/", 14);
    rc.manifest_uri = long_uri;
    assert_int_equal(run_release_item(&rc), OTA_ERR_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_good_manifest),
        cmocka_unit_test(refuses_what_is_not_strict),
        cmocka_unit_test(rollout_bucket_is_stable_and_widening_keeps_devices),
        cmocka_unit_test(decides_by_running_app),
        cmocka_unit_test(resolves_relative_uris),
        cmocka_unit_test(an_empty_project_matches_nothing),
        cmocka_unit_test(a_rolled_back_image_is_skipped),
        cmocka_unit_test(appended_bytes_fail_the_signature),
        cmocka_unit_test(the_signature_uri_keeps_the_query),
        cmocka_unit_test(manifest_failures_have_result_names),
        cmocka_unit_test(the_host_record_is_read_strictly),
        cmocka_unit_test(the_host_record_belongs_to_the_image),
        cmocka_unit_test(no_serial_store_refuses_manifests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
