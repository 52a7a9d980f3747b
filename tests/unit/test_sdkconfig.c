/* The sdkconfig reader's typed values: bool settings take exactly what
 * menuconfig writes, and a consumer that refuses a value learns its line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#include "ota/error.h"
#include "ota/sdkconfig.h"

static void bools_are_y_or_n(void **state)
{
    (void)state;
    bool on = false;
    assert_int_equal(ota_sdkconfig_bool("y", &on), OTA_OK);
    assert_true(on);
    assert_int_equal(ota_sdkconfig_bool("n", &on), OTA_OK);
    assert_false(on);
}

/* kconfiglib would read "yes" as y and "no" as n, and ignore the rest with a
 * warning; we take neither guess: each of these leaves *on as it was. */
static void anything_else_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"yes", "no", "1", "0", "true", "false", "Y", "N", "", " y", "y ", "\"y\"", "on",
                                      "m", "yy"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool on = true;
        assert_int_equal(ota_sdkconfig_bool(bad[i], &on), OTA_ERR_CONFIG_BOOL);
        assert_true(on);
        on = false;
        assert_int_equal(ota_sdkconfig_bool(bad[i], &on), OTA_ERR_CONFIG_BOOL);
        assert_false(on);
    }
    bool on = false;
    assert_int_equal(ota_sdkconfig_bool(NULL, &on), OTA_ERR_CONFIG_BOOL);
}

/* "# CONFIG_X is not set" reaches the callback as "n", which is a valid off. */
static int check_bools(void *ctx, const char *key, const char *value)
{
    bool on;
    (void)key;
    int rc = ota_sdkconfig_bool(value, &on);
    if (rc == OTA_OK) {
        ++*(int *)ctx;
    }
    return rc;
}

static void a_refused_value_names_its_line(void **state)
{
    (void)state;
    static const char text[] = "# header\nCONFIG_A=y\n# CONFIG_B is not set\n\nCONFIG_C=n\n"
                               "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER=yes\nCONFIG_D=y\n";
    int good = 0;
    unsigned line = 0;
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), check_bools, &good, &line), OTA_ERR_CONFIG_BOOL);
    assert_int_equal(good, 3);
    assert_int_equal(line, 6);
    static const char empty[] = "CONFIG_A=y\nCONFIG_B=\n";
    good = 0;
    assert_int_equal(ota_sdkconfig_parse(empty, strlen(empty), check_bools, &good, &line), OTA_ERR_CONFIG_BOOL);
    assert_int_equal(line, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bools_are_y_or_n),
        cmocka_unit_test(anything_else_is_refused),
        cmocka_unit_test(a_refused_value_names_its_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
