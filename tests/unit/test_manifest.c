/* The manifest core: the strict parser, the rollout bucket, the decision. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/image.h"
#include "ota/manifest.h"

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
    assert_int_equal(parse_edit("\"format\": 1", "\"format\": 2"), OTA_ERR_MANIFEST_FORMAT);
    assert_int_equal(parse_edit("\"format\": 1, ", ""), OTA_ERR_MANIFEST_SYNTAX);
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

static void resolves_relative_uris(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "p.bin", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "http://h/r/p.bin");
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "https://cdn/x.bin", out, sizeof(out)), OTA_OK);
    assert_string_equal(out, "https://cdn/x.bin");
    assert_int_equal(ota_manifest_resolve("http://h/r/manifest.json", "p.bin", out, 10), OTA_ERR_NO_MEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_good_manifest),
        cmocka_unit_test(refuses_what_is_not_strict),
        cmocka_unit_test(rollout_bucket_is_stable_and_widening_keeps_devices),
        cmocka_unit_test(decides_by_running_app),
        cmocka_unit_test(resolves_relative_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
