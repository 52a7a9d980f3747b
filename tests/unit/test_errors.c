#include <string.h>

#include "helpers.h"
#include "ota/error.h"

/* Every named code has its own string; unnamed numbers fall to "unknown". */
static void every_code_has_a_string(void **state)
{
    (void)state;
    int named = 0;
    for (int code = -255; code <= 0; code++) {
        const char *name = ota_errname(code);
        const char *msg = ota_strerror(code);
        assert_non_null(msg);
        if (strcmp(name, "OTA_ERR_UNKNOWN") == 0) {
            assert_string_equal(msg, "unknown error");
            continue;
        }
        named++;
        assert_true(strlen(msg) > 5);
        assert_string_not_equal(msg, "unknown error");
        assert_true(strncmp(name, "OTA_", 4) == 0);
    }
    assert_true(named > 50);
    assert_string_equal(ota_errname(OTA_ERR_IMG_HASH), "OTA_ERR_IMG_HASH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_code_has_a_string)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
