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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(delta_failures_are_named)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
