/* The device as an update sees it: table, running app, what is protected. */
#include <string.h>

#include "app_internal.h"
#include "ota/boot.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/log.h"
#include "ota/update.h"

static const char *TAG = "OTA_DEVICE";

int ota_device_open(struct ota_device *dev, const struct ota_flash *flash, uint32_t running_app_offset)
{
    struct ota_pt_diag diag;
    int err;
    if (!dev || !flash) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(dev, 0, sizeof(*dev));
    dev->flash = flash;
    dev->chip_id = OTA_CHIP_ESP32;
    dev->chip_rev = 300;
    if ((err = ota_pt_load(flash, &dev->table, &diag))) {
        OTA_LOGE(TAG, "partition table on the device: row %u: %s", diag.line, ota_strerror(err));
        return err;
    }
    for (unsigned i = 0; i < dev->table.count; i++) {
        const struct ota_partition *p = &dev->table.entries[i];
        if (p->type == OTA_PT_TYPE_APP && p->offset == running_app_offset) {
            dev->running = p;
        }
    }
    if (!dev->running) {
        OTA_LOGE(TAG, "no app partition at 0x%x, the running app's offset", (unsigned)running_app_offset);
        return OTA_ERR_NOT_FOUND;
    }
    return OTA_OK;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

bool ota_device_protected(const struct ota_device *dev, uint32_t addr, uint32_t len)
{
    const struct ota_partition *od = ota_pt_find(&dev->table, OTA_PT_TYPE_DATA, OTA_PT_DATA_OTA);
    if (overlaps(addr, len, 0, OTA_PT_OFFSET + OTA_FLASH_SECTOR_SIZE)) {
        return true;  /* the bootloader and the partition table */
    }
    if (od && overlaps(addr, len, od->offset, od->size)) {
        return true;
    }
    return dev->running && overlaps(addr, len, dev->running->offset, dev->running->size);
}

int ota_device_writable(const struct ota_device *dev, const struct ota_partition *part)
{
    if (ota_device_protected(dev, part->offset, part->size)) {
        OTA_LOGE(TAG, "partition %s at 0x%x holds the running app, otadata or the table",
                 part->label, (unsigned)part->offset);
        return OTA_ERR_PROTECTED;
    }
    return OTA_OK;
}

const struct ota_partition *ota_device_next_slot(const struct ota_device *dev)
{
    const struct ota_partition *slots[16];
    if (ota_boot_ota_slots(&dev->table, slots) == 0) {
        return NULL;
    }
    const struct ota_partition *running = dev->running;
    unsigned start = (running && ota_pt_is_ota_app(running)) ? (running->subtype & 0xFu) + 1u : 0u;
    for (unsigned k = 0; k < 16; k++) {
        const struct ota_partition *p = slots[(start + k) % 16];
        if (p && p != running) {
            return p;
        }
    }
    return NULL;
}

void ota_source_id(const char *name, uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN])
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, name, strlen(name));
    ota_sha256_finish(&sha, digest);
    memcpy(id, digest, OTA_JOURNAL_SOURCE_ID_LEN);
}
