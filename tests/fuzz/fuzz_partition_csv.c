#include "fuzz_common.h"
#include "ota/partition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_ptable t;
    struct ota_pt_diag d;
    if (ota_pt_parse_csv((const char *)data, size, 4u << 20, &t, &d) == OTA_OK) {
        uint8_t out[OTA_PT_LEN];
        static struct ota_ptable back;
        ota_pt_to_binary(&t, out);
        /* what we generate, we parse back to the same table */
        if (ota_pt_parse_binary(out, sizeof(out), 4u << 20, &back, &d) != OTA_OK || back.count != t.count) {
            __builtin_trap();
        }
    }
    return 0;
}
