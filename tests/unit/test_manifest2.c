/* Release manifests of format 2 (manifest.json.v2): the strict parser on
 * hostile input, and the candidates a device draws from them. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/image.h"
#include "ota/manifest.h"
#include "ota/service.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
               c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define HEAD "{\"format\": 2, \"project\": \"lamp\", \"version\": \"v2.0.0\", \"secure_version\": 0, " \
             "\"chip\": \"esp32\", \"serial\": 7, \"rollout_percent\": 100, \"app_sha256\": \"" H64("a") "\", " \
             "\"app_size\": 1000, "
#define PATCH(base, size) "{\"kind\": \"patch\", \"base_app_sha256\": \"" H64(base) "\", \"uri\": \"p" base \
                          ".compact\", \"size\": " size ", \"sha256\": \"" H64("c") "\", \"encrypted\": false}"
#define CZ "{\"kind\": \"compressed\", \"uri\": \"app.cz\", \"size\": 600, \"sha256\": \"" H64("d") "\", " \
           "\"encrypted\": false}"
#define PLAIN "{\"kind\": \"plain\", \"uri\": \"app.bin\", \"size\": 1000, \"sha256\": \"" H64("b") "\", " \
              "\"encrypted\": false}"
static const char GOOD[] = HEAD "\"items\": [" PATCH("1", "10") ", " CZ ", " PATCH("2", "700") ", " PLAIN "]}\n";

static struct ota_manifest m;

static int parse(const char *s)
{
    return ota_manifest_parse(s, strlen(s), &m);
}

/* Replace the first `from` in GOOD by `to` and parse. */
static int parse_edit(const char *from, const char *to)
{
    static char buf[8192];
    const char *at = strstr(GOOD, from);
    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
    return parse(buf);
}

static void parses_every_item(void **state)
{
    (void)state;
    assert_int_equal(parse(GOOD), OTA_OK);
    assert_int_equal(m.format, 2);
    assert_int_equal(m.app_size, 1000);
    assert_string_equal(m.image.uri, "app.bin");
    assert_int_equal(m.image.kind, OTA_MANIFEST_KIND_PLAIN);
    assert_int_equal(m.image.size, 1000);
    assert_int_equal(m.image.sha256[0], 0xbb);
    assert_string_equal(m.compressed.uri, "app.cz");
    assert_int_equal(m.compressed.kind, OTA_MANIFEST_KIND_COMPRESSED);
    assert_int_equal(m.compressed.size, 600);
    assert_int_equal(m.compressed.sha256[31], 0xdd);
    assert_int_equal(m.patch_count, 2);
    assert_int_equal(m.patches[1].base_app_sha256[0], 0x22);
    assert_int_equal(m.patches[1].file.size, 700);
    assert_int_equal(m.patches[0].file.kind, OTA_MANIFEST_KIND_PATCH);
    assert_false(m.patches[0].file.encrypted);
    /* only the plain image is required */
    assert_int_equal(parse(HEAD "\"items\": [" PLAIN "]}"), OTA_OK);
    assert_int_equal(m.compressed.size, 0);
    assert_int_equal(m.patch_count, 0);
    assert_int_equal(parse_edit("\"encrypted\": false}]", "\"encrypted\": true}]"), OTA_OK);
    assert_true(m.image.encrypted);
}

static void refuses_duplicates_and_missing_fields(void **state)
{
    (void)state;
    /* a key twice, in an item and at the top */
    assert_int_equal(parse_edit("\"size\": 600", "\"size\": 600, \"size\": 600"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"kind\": \"plain\"", "\"kind\": \"plain\", \"kind\": \"plain\""),
                     OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_size\": 1000", "\"app_size\": 1000, \"app_size\": 1000"),
                     OTA_ERR_MANIFEST_SYNTAX);
    /* a second plain or compressed image, or two patches for one base: which is meant? */
    assert_int_equal(parse_edit(PLAIN "]", PLAIN ", " PLAIN "]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit(CZ, CZ ", " CZ), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit(PATCH("2", "700"), PATCH("1", "700")), OTA_ERR_MANIFEST_SYNTAX);
    /* missing: a size, a digest, the kind, encrypted, a patch's base, the app's size, the plain image */
    assert_int_equal(parse_edit("\"size\": 600, ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"sha256\": \"" H64("b") "\", ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"kind\": \"compressed\", ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit(", \"encrypted\": false}]", "}]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"base_app_sha256\": \"" H64("1") "\", ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_size\": 1000, ", ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit(", " PLAIN, ""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse(HEAD "\"items\": []}"), OTA_ERR_MANIFEST_SYNTAX);
    /* empty values */
    assert_int_equal(parse_edit("\"uri\": \"app.cz\"", "\"uri\": \"\""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"kind\": \"compressed\"", "\"kind\": \"\""), OTA_ERR_MANIFEST_SYNTAX);
    /* a base on an image that has none, format 1's keys under format 2 */
    assert_int_equal(parse_edit("\"kind\": \"plain\",", "\"kind\": \"plain\", \"base_app_sha256\": \"" H64("1") "\","),
                     OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_size\": 1000, ", "\"app_size\": 1000, \"patches\": [], "),
                     OTA_ERR_MANIFEST_SYNTAX);
}

static void refuses_sizes_kinds_and_types(void **state)
{
    (void)state;
    /* a size of 0 is no bound on a stream; nor is an app of 0 bytes */
    assert_int_equal(parse_edit("\"size\": 10,", "\"size\": 0,"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"app_size\": 1000", "\"app_size\": 0"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"size\": 1000", "\"size\": 4294967296"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"size\": 600", "\"size\": \"600\""), OTA_ERR_MANIFEST_SYNTAX);
    /* a kind this device does not know is not guessed at */
    assert_int_equal(parse_edit("\"kind\": \"compressed\"", "\"kind\": \"xz\""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"kind\": \"compressed\"", "\"kind\": \"Compressed\""), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"kind\": \"plain\"", "\"kind\": 0"), OTA_ERR_MANIFEST_SYNTAX);
    /* booleans are true or false, nothing like them */
    assert_int_equal(parse_edit("\"encrypted\": false}]", "\"encrypted\": 0}]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"encrypted\": false}]", "\"encrypted\": fals}]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"encrypted\": false}]", "\"encrypted\": \"false\"}]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"encrypted\": false}]", "\"encrypted\": truex}]"), OTA_ERR_MANIFEST_SYNTAX);
    /* the items are an array of objects */
    assert_int_equal(parse_edit("\"items\": [", "\"items\": {"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit(PLAIN "]", PLAIN ", ]"), OTA_ERR_MANIFEST_SYNTAX);
    assert_int_equal(parse_edit("\"format\": 2", "\"format\": 3"), OTA_ERR_MANIFEST_FORMAT);
}

static void refuses_items_out_of_size_order(void **state)
{
    (void)state;
    /* the list claims to be smallest first: a larger item before a smaller one is refused */
    assert_int_equal(parse_edit(CZ ", " PATCH("2", "700"), PATCH("2", "700") ", " CZ), OTA_ERR_MANIFEST_ITEM_ORDER);
    assert_int_equal(parse_edit(PATCH("2", "700") ", " PLAIN, PLAIN ", " PATCH("2", "700")),
                     OTA_ERR_MANIFEST_ITEM_ORDER);
    assert_int_equal(parse_edit("\"size\": 600", "\"size\": 5"), OTA_ERR_MANIFEST_ITEM_ORDER);
    /* equal sizes are in order */
    assert_int_equal(parse_edit("\"size\": 600", "\"size\": 700"), OTA_OK);
}

/* Nine patches: one more than a device keeps; and a manifest over the size limit. */
static void refuses_too_many_items(void **state)
{
    (void)state;
    static char buf[8192];
    int n = snprintf(buf, sizeof(buf), "%s", HEAD "\"items\": [");
    for (unsigned i = 0; i < 9; i++) {
        n += snprintf(buf + n, sizeof(buf) - (size_t)n,
                      "{\"kind\": \"patch\", \"base_app_sha256\": \"%064u\", \"uri\": \"p\", \"size\": %u, "
                      "\"sha256\": \"%064u\", \"encrypted\": false}, ", i, 10 + i, 0u);
    }
    snprintf(buf + n, sizeof(buf) - (size_t)n, "%s", PLAIN "]}");
    assert_true(strlen(buf) <= OTA_MANIFEST_MAX_LEN);
    assert_int_equal(parse(buf), OTA_ERR_MANIFEST_SYNTAX);
    char *ninth = strstr(buf, "{\"kind\": \"patch\", \"base_app_sha256\": \"0000000000000000000000000000000000000000000000"
                              "000000000000000008\"");
    assert_non_null(ninth);
    memmove(ninth, ninth + (strstr(ninth, "}, ") + 3 - ninth), strlen(strstr(ninth, "}, ") + 3) + 1);
    assert_int_equal(parse(buf), OTA_OK);  /* eight are fine */
    assert_int_equal(m.patch_count, 8);
    assert_int_equal(ota_manifest_parse(GOOD, OTA_MANIFEST_MAX_LEN + 1, &m), OTA_ERR_MANIFEST_TOO_BIG);
    for (size_t len = 0; len + 1 < sizeof(GOOD) - 1; len += 7) {  /* cut short anywhere */
        assert_int_not_equal(ota_manifest_parse(GOOD, len, &m), OTA_OK);
    }
}

static struct ota_device_view view(uint8_t running, unsigned takes)
{
    struct ota_device_view v;
    memset(&v, 0, sizeof(v));
    v.project = "lamp";
    v.chip_id = OTA_CHIP_ESP32;
    v.device_id = "x";
    v.takes = takes;
    memset(v.running_app_sha256, running, OTA_SHA256_LEN);
    return v;
}

static void candidates_are_what_the_device_can_apply_smallest_first(void **state)
{
    (void)state;
    struct ota_manifest_decision d;
    const unsigned all = OTA_MANIFEST_TAKES_PATCH | OTA_MANIFEST_TAKES_COMPRESSED | OTA_MANIFEST_TAKES_ENCRYPTED;
    assert_int_equal(parse(GOOD), OTA_OK);
    struct ota_device_view v = view(0x11, all);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_PATCH);
    assert_int_equal(d.candidate_count, 3);
    assert_ptr_equal(d.candidates[0], &m.patches[0].file);
    assert_ptr_equal(d.candidates[1], &m.compressed);
    assert_ptr_equal(d.candidates[2], &m.image);
    v = view(0x22, all);  /* its patch (700) is larger than the compressed image (600) */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_COMPRESSED);
    assert_ptr_equal(d.candidates[1], &m.patches[1].file);
    v = view(0x33, all);  /* a base the release has no patch for */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.candidate_count, 2);
    assert_ptr_equal(d.candidates[0], &m.compressed);
    v = view(0x11, OTA_MANIFEST_TAKES_PATCH);  /* built without the decoder */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.candidate_count, 2);
    assert_ptr_equal(d.candidates[1], &m.image);
    v = view(0x11, 0);  /* no patch work area */
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_INSTALL_FULL);
    assert_int_equal(d.candidate_count, 1);
}

static void encrypted_items_need_a_key(void **state)
{
    (void)state;
    static char text[8192];
    struct ota_manifest_decision d;
    const unsigned plain = OTA_MANIFEST_TAKES_PATCH | OTA_MANIFEST_TAKES_COMPRESSED;
    snprintf(text, sizeof(text), "%s", GOOD);
    for (char *p = text; (p = strstr(p, "\"encrypted\": false")) != NULL;) {
        memcpy(p, "\"encrypted\": true ", 18);
    }
    assert_int_equal(parse(text), OTA_OK);
    struct ota_device_view v = view(0x11, plain);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_ERR_MANIFEST_NO_ITEM);
    v = view(0x11, plain | OTA_MANIFEST_TAKES_ENCRYPTED);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.candidate_count, 3);
    /* only the compressed image in the clear: a device without a key takes that one alone */
    assert_int_equal(parse(GOOD), OTA_OK);
    m.patches[0].file.encrypted = m.patches[1].file.encrypted = m.image.encrypted = true;
    v = view(0x11, plain);
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.candidate_count, 1);
    assert_ptr_equal(d.candidates[0], &m.compressed);
    /* up to date and held back are no installs: they need no item */
    memset(v.running_app_sha256, 0xaa, OTA_SHA256_LEN);
    m.compressed.encrypted = true;
    assert_int_equal(ota_manifest_decide(&m, &v, &d), OTA_OK);
    assert_int_equal(d.action, OTA_MANIFEST_UP_TO_DATE);
}

/* The new refusals have names and results of their own. */
static void new_errors_are_named(void **state)
{
    (void)state;
    assert_string_equal(ota_errname(OTA_ERR_MANIFEST_NO_ITEM), "OTA_ERR_MANIFEST_NO_ITEM");
    assert_string_equal(ota_errname(OTA_ERR_MANIFEST_ITEM_ORDER), "OTA_ERR_MANIFEST_ITEM_ORDER");
    assert_string_equal(ota_errname(OTA_ERR_MANIFEST_COMPRESSED_DIGEST), "OTA_ERR_MANIFEST_COMPRESSED_DIGEST");
    assert_int_equal(ota_result_from_err(OTA_ERR_MANIFEST_NO_ITEM), OTA_RESULT_GET_NEW_APP_DESC_FAIL);
    assert_int_equal(ota_result_from_err(OTA_ERR_MANIFEST_ITEM_ORDER), OTA_RESULT_GET_NEW_APP_DESC_FAIL);
    assert_int_equal(ota_result_from_err(OTA_ERR_MANIFEST_COMPRESSED_DIGEST), OTA_RESULT_STREAM_RD_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_item),
        cmocka_unit_test(refuses_duplicates_and_missing_fields),
        cmocka_unit_test(refuses_sizes_kinds_and_types),
        cmocka_unit_test(refuses_items_out_of_size_order),
        cmocka_unit_test(refuses_too_many_items),
        cmocka_unit_test(candidates_are_what_the_device_can_apply_smallest_first),
        cmocka_unit_test(encrypted_items_need_a_key),
        cmocka_unit_test(new_errors_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
