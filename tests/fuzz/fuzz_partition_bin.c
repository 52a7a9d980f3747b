#include "fuzz_common.h"
#include "ota/partition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_ptable t;
    struct ota_pt_diag d;
    uint32_t flash = size ? (uint32_t)data[0] << 20 : 0;  /* 0..255 MiB, 0 = unbounded */
    if (ota_pt_parse_binary(data, size, flash, &t, &d) == OTA_OK) {
        uint8_t out[OTA_PT_LEN];
        ota_pt_check(&t, flash, &d);
        ota_pt_to_binary(&t, out);
        for (unsigned i = 0; i < t.count; i++) {
            ota_pt_find_label(&t, t.entries[i].label);
            ota_pt_usage(&t.entries[i]);
            ota_pt_subtype_name(t.entries[i].type, t.entries[i].subtype);
        }
    }
    return 0;
}
