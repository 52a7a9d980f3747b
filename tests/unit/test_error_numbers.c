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

/* Each code's text is its own list entry's value; numbers outside the
 * list, above 0 or below -255, have none. */
#define NUMBER_OF(name, value, message) {name, #value},
static const struct {
    int code;
    const char *text;
} numbers[] = {OTA_ERROR_LIST(NUMBER_OF)};

static void every_text_is_its_own(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        assert_string_equal(ota_errname(numbers[i].code), numbers[i].text);
    }
    const int others[] = {1, 255, 256, -256, -257, 0x7fffffff, -0x7fffffff - 1};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_string_equal(ota_errname(others[i]), "OTA_ERR_UNKNOWN");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_code_is_its_number),
                                       cmocka_unit_test(every_text_is_its_own)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
