/* Every patch failure gets a seed result name of its own kind, never UNKNOWN. */
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/service.h"

static void delta_failures_are_named(void **state)
{
    (void)state;
    int named = 0;
    for (int code = -169; code <= -150; code++) {
        if (strcmp(ota_errname(code), "OTA_ERR_UNKNOWN") == 0) {
            continue;
        }
        named++;
        int r = ota_result_from_err(code);
        assert_int_not_equal(r, OTA_RESULT_UNKNOWN);
        assert_string_not_equal(ota_result_name(r), "UNKNOWN");
    }
    assert_true(named >= 9);
    assert_int_equal(ota_result_from_err(OTA_ERR_DELTA_FORMAT), OTA_RESULT_ERROR_MAGIC_WORD);
    assert_int_equal(ota_result_from_err(OTA_ERR_DELTA_BASE), OTA_RESULT_ERROR_VERSION);
    assert_int_equal(ota_result_from_err(OTA_ERR_DELTA_TRUNCATED), OTA_RESULT_STREAM_RD_FAIL);
    assert_int_equal(ota_result_from_err(OTA_ERR_DELTA_RESULT), OTA_RESULT_STREAM_RD_FAIL);
    /* the range ends where it ends: neighbours keep their own mapping */
    assert_int_equal(ota_result_from_err(OTA_ERR_SHORT_READ), OTA_RESULT_STREAM_RD_FAIL);
    assert_int_equal(ota_result_from_err(OTA_OK), OTA_RESULT_SUCCESS);
}

/* Every code outside the patch range: its seed result as the service has
 * always reported it (the codes below), UNKNOWN for all others. */
static const struct {
    int err, result;
} coarse[] = {
    {OTA_OK, OTA_RESULT_SUCCESS},
    {OTA_ERR_INVALID_ARG, OTA_RESULT_NULL_POINTER},
    {OTA_ERR_URI, OTA_RESULT_URL_PARSE_FAIL},
    {OTA_ERR_INSECURE, OTA_RESULT_URL_PARSE_FAIL},
    {OTA_ERR_TOO_LONG, OTA_RESULT_URL_PARSE_FAIL},
    {OTA_ERR_VERSION_FORMAT, OTA_RESULT_ERROR_VERSION},
    {OTA_ERR_NOT_NEWER, OTA_RESULT_NO_HIGHER_VERSION},
    {OTA_ERR_IMG_MAGIC, OTA_RESULT_ERROR_MAGIC_WORD},
    {OTA_ERR_TONE_TAG, OTA_RESULT_ERROR_MAGIC_WORD},
    {OTA_ERR_TONE_DESC, OTA_RESULT_ERROR_MAGIC_WORD},
    {OTA_ERR_TONE_FORMAT, OTA_RESULT_ERROR_MAGIC_WORD},
    {OTA_ERR_PROJECT_NAME, OTA_RESULT_ERROR_PROJECT_NAME},
    {OTA_ERR_MANIFEST_PROJECT, OTA_RESULT_ERROR_PROJECT_NAME},
    {OTA_ERR_MANIFEST_REPLAY, OTA_RESULT_NO_HIGHER_VERSION},
    {OTA_ERR_MANIFEST_SYNTAX, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_FORMAT, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_SIGNATURE, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_CHIP, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_TOO_BIG, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_SIG_TOO_BIG, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_RELEASE_NO_SERIAL_STORE, OTA_RESULT_PARTITION_RD_FAIL},
    {OTA_ERR_RELEASE_RECORD, OTA_RESULT_PARTITION_RD_FAIL},
    {OTA_ERR_FILE_NOT_FOUND, OTA_RESULT_FILE_NOT_FOUND},
    {OTA_ERR_PATH_ESCAPE, OTA_RESULT_FILE_NOT_FOUND},
    {OTA_ERR_NOT_FOUND, OTA_RESULT_PARTITION_NOT_FOUND},
    {OTA_ERR_NO_OTA_SLOT, OTA_RESULT_PARTITION_NOT_FOUND},
    {OTA_ERR_IO, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_READBACK, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_PROTECTED, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_ALIGN, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_OUT_OF_BOUNDS, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_POWER_LOST, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_DATA_TOO_BIG, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_IMG_TOO_BIG, OTA_RESULT_PARTITION_WT_FAIL},
    {OTA_ERR_RESOLVE, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_CONNECT, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_TLS, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_HTTP_STATUS, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_TOO_MANY_REDIRECTS, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_REDIRECT_NO_LOCATION, OTA_RESULT_STREAM_INIT_FAIL},
    {OTA_ERR_SHORT_READ, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_SOURCE_CHANGED, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_RANGE, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_TIMEOUT, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_STREAM, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_LOW_SPEED, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_DEADLINE, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_MANIFEST_PATCH_DIGEST, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_MANIFEST_IMAGE_DIGEST, OTA_RESULT_STREAM_RD_FAIL},
    {OTA_ERR_IMG_DESC, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_IMG_SEG0_SMALL, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_NO_ITEM, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_ITEM_ORDER, OTA_RESULT_GET_NEW_APP_DESC_FAIL},
    {OTA_ERR_MANIFEST_COMPRESSED_DIGEST, OTA_RESULT_STREAM_RD_FAIL},
};

static void every_code_has_its_result(void **state)
{
    (void)state;
    for (int code = -300; code <= 300; code++) {
        if (code <= -150 && code >= -169) {
            continue;  /* delta_failures_are_named */
        }
        int want = OTA_RESULT_UNKNOWN;
        for (size_t i = 0; i < sizeof(coarse) / sizeof(coarse[0]); i++) {
            if (coarse[i].err == code) {
                want = coarse[i].result;
            }
        }
        if (ota_result_from_err(code) != want) {
            fail_msg("%s (%d): result 0x%x, wanted 0x%x", ota_errname(code), code, ota_result_from_err(code), want);
        }
    }
}

/* Each result's seed name, "?" for a number that is none. */
static void every_result_has_its_name(void **state)
{
    (void)state;
    static const char *const names[] = {"NULL_POINTER", "URL_PARSE_FAIL", "ERROR_VERSION", "NO_HIGHER_VERSION",
                                        "ERROR_MAGIC_WORD", "ERROR_PROJECT_NAME", "FILE_NOT_FOUND",
                                        "PARTITION_NOT_FOUND", "PARTITION_WT_FAIL", "PARTITION_RD_FAIL",
                                        "STREAM_INIT_FAIL", "STREAM_RD_FAIL", "GET_NEW_APP_DESC_FAIL"};
    assert_string_equal(ota_result_name(OTA_RESULT_SUCCESS), "SUCCESS");
    assert_string_equal(ota_result_name(OTA_RESULT_UNKNOWN), "UNKNOWN");
    for (int i = 0; i < 13; i++) {
        assert_string_equal(ota_result_name(OTA_RESULT_NULL_POINTER + i), names[i]);
    }
    const int none[] = {1, -2, 0x90000, 0x9000E, 0x7fffffff, -0x7fffffff - 1, 0x90001 - 0x10000};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_string_equal(ota_result_name(none[i]), "?");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(delta_failures_are_named),
                                       cmocka_unit_test(every_code_has_its_result),
                                       cmocka_unit_test(every_result_has_its_name)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
