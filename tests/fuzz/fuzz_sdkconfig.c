#include "fuzz_common.h"
#include "ota/sdkconfig.h"

static int cb(void *ctx, const char *key, const char *value)
{
    (void)ctx;
    if (strlen(key) > 255 || strlen(value) > 255) {
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
