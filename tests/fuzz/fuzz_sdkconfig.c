#include "fuzz_common.h"
#include "ota/sdkconfig.h"

/* Every setting handed out respects the documented bounds, and a bool reads
 * as on/off exactly for "y"/"n". */
static int cb(void *ctx, const char *key, const char *value)
{
    bool on = false;
    (void)ctx;
    if (strlen(key) > OTA_SDKCONFIG_KEY_MAX || strlen(value) > OTA_SDKCONFIG_VALUE_MAX) {
        __builtin_trap();
    }
    int rc = ota_sdkconfig_bool(value, &on);
    bool exact = strcmp(value, "y") == 0 || strcmp(value, "n") == 0;
    if ((rc == OTA_OK) != exact || (rc == OTA_OK && on != (value[0] == 'y'))) {
        __builtin_trap();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned bad;
    ota_sdkconfig_parse((const char *)data, size, cb, NULL, &bad);
    return 0;
}
