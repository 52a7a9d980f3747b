/* The emulated eFuse record (IMG.efuse): parsed whole or refused whole. */
#include "fuzz_common.h"
#include "ota/host_efuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero[32];
    struct ota_efuse e;
    int err = ota_host_efuse_parse((const char *)data, size, &e);
    if (err != OTA_OK && err != OTA_ERR_EFUSE_FILE) {
        __builtin_trap();
    }
    /* A refused record reads as nothing burned, never half of one. */
    if (err && (e.key_burned || e.secure_version || memcmp(e.key_digest, zero, 32) != 0)) {
        __builtin_trap();
    }
    return 0;
}
