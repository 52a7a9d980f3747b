/* A build with OTA_LOG_MAXIMUM_LEVEL=1 (errors and warnings): the lines
 * above the ceiling never reach ota_log and their arguments are not
 * evaluated; the lines at or below it arrive unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ota/log.h"

#if OTA_LOG_MAXIMUM_LEVEL != 1
#error this test is built with OTA_LOG_MAXIMUM_LEVEL=1
#endif

static int calls[4];
static char last_line[64];

void ota_log(enum ota_log_level level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    calls[level]++;
    va_start(ap, fmt);
    int n = snprintf(last_line, sizeof(last_line), "%s: ", tag);
    vsnprintf(last_line + n, sizeof(last_line) - (size_t)n, fmt, ap);
    va_end(ap);
}

static int evaluated;

static int counted(int v)
{
    evaluated++;
    return v;
}

static void lines_above_the_ceiling_leave_the_build(void **state)
{
    (void)state;
    OTA_LOGE("t", "error %d", counted(1));
    assert_string_equal(last_line, "t: error 1");
    OTA_LOGW("t", "warning %d", counted(2));
    assert_string_equal(last_line, "t: warning 2");
    OTA_LOGI("t", "info %d", counted(3));
    OTA_LOGD("t", "debug %d", counted(4));
    assert_string_equal(last_line, "t: warning 2");
    assert_int_equal(calls[OTA_LOG_ERROR], 1);
    assert_int_equal(calls[OTA_LOG_WARN], 1);
    assert_int_equal(calls[OTA_LOG_INFO], 0);
    assert_int_equal(calls[OTA_LOG_DEBUG], 0);
    assert_int_equal(evaluated, 2);
}

static void a_line_is_one_statement(void **state)
{
    (void)state;
    int before = calls[OTA_LOG_WARN];
    /* an unbraced if/else around a log line still pairs as written */
    if (before < 0)
        OTA_LOGI("t", "never");
    else
        OTA_LOGW("t", "else branch");
    assert_int_equal(calls[OTA_LOG_WARN], before + 1);
    assert_string_equal(last_line, "t: else branch");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_above_the_ceiling_leave_the_build),
        cmocka_unit_test(a_line_is_one_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
