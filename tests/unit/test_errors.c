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

/* Each code's name is its own list entry's, also past the first and the
 * last; numbers outside the list, above 0 or below -255, have none. */
#define NAME_OF(name, value, message) {name, #name},
static const struct {
    int code;
    const char *name;
} names[] = {OTA_ERROR_LIST(NAME_OF)};

static void every_name_is_its_own(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(ota_errname(names[i].code), names[i].name);
    }
    const int others[] = {1, 2, 255, 256, -256, -257, 0x7fffffff, -0x7fffffff - 1};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_string_equal(ota_errname(others[i]), "OTA_ERR_UNKNOWN");
        assert_string_equal(ota_strerror(others[i]), "unknown error");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_code_has_a_string),
                                       cmocka_unit_test(every_name_is_its_own)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
