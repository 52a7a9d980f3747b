/* The bootloader's pick by otadata alone (ports that cannot ask the chip). */
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/otadata.h"
#include "ota/service.h"

const struct ota_partition *ota_running_partition(const struct ota_flash *f, const struct ota_ptable *t)
{
    const struct ota_partition *slots[16];
    unsigned count = ota_boot_ota_slots(t, slots);
    const struct ota_partition *od_part = ota_pt_find(t, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    const struct ota_partition *factory = ota_pt_find(t, OTA_PT_TYPE_APP, OTA_PT_APP_FACTORY);
    struct ota_otadata od;
    if (od_part && count && ota_otadata_read(f, od_part, &od) == OTA_OK) {
        int slot = ota_otadata_boot_slot(&od, count);
        if (slot >= 0 && slots[slot]) {
            return slots[slot];
        }
    }
    return factory ? factory : slots[0];
}
