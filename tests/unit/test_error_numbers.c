/* The smallest device build (OTA_NO_ERROR_NAMES): every code, as text,
 * is its own number, so a log line still names the error exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ota/error.h"

static void every_code_is_its_number(void **state)
{
    (void)state;
    int named = 0;
    for (int code = -255; code <= 0; code++) {
        const char *name = ota_errname(code);
        assert_string_equal(ota_strerror(code), name);
        if (strcmp(name, "OTA_ERR_UNKNOWN") == 0) {
            continue;
        }
        char want[8];
        snprintf(want, sizeof(want), "%d", code);
        assert_string_equal(name, want);
        named++;
    }
    assert_true(named > 50);
    assert_string_equal(ota_errname(OTA_ERR_IMG_HASH), "-55");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_code_is_its_number)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
