/* The running-app record (IMG.running), and its check against a flash. */
#include "fuzz_common.h"
#include "ota/host_running.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t flash_bytes[64 * 1024];
    struct ota_host_running r;
    int err = ota_host_running_parse((const char *)data, size, &r);
    if (err != OTA_OK && err != OTA_ERR_CONFIG_SYNTAX) {
        __builtin_trap();
    }
    if (err) {
        return 0;
    }
    if (r.length == 0) {
        __builtin_trap();
    }
    /* Any offset and length: a bounded read or a refusal, never past the flash. */
    struct ram_flash f;
    ram_flash_init(&f, flash_bytes, sizeof(flash_bytes));
    (void)ota_host_running_still_there(&f.flash, &r);
    return 0;
}
