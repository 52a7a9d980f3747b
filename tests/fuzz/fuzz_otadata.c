#include "fuzz_common.h"
#include "ota/otadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_otadata od;
    uint8_t raw[64];
    memset(raw, 0xFF, sizeof(raw));
    memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
    ota_otadata_decode(raw, &od.copy[0]);
    ota_otadata_decode(raw + 32, &od.copy[1]);
    int active = ota_otadata_active(&od);
    for (unsigned n = 0; n <= 16; n++) {
        int slot = ota_otadata_boot_slot(&od, n);
        if (slot >= 0 && (n == 0 || (unsigned)slot >= n || active < 0)) {
            __builtin_trap();
        }
    }
    uint8_t back[32];
    ota_otadata_encode(&od.copy[0], back);
    if (memcmp(back, raw, 32) != 0) {
        __builtin_trap();  /* decode/encode must round-trip */
    }
    return 0;
}
