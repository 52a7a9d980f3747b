/* The flash port on esp_partition: the core's whole-chip addresses, each
 * access routed to the partition that holds it and done partition-relative
 * (with flash encryption on, esp_partition_read/write decrypt and encrypt
 * where the partition is encrypted; raw chip access would not). */
#include <string.h>

#include "esp_flash.h"
#include "esp_partition.h"
#include "sdkconfig.h"
#if CONFIG_IDF_TARGET_LINUX
#include "esp_private/partition_linux.h"
#endif

#include "ota/error.h"
#include "ota/idf_port.h"
#include "ota/log.h"

static const char *TAG = "ota_idf_flash";

/* The partition holding [addr, addr + len), and the offset in it. */
static const esp_partition_t *route(const struct ota_idf_flash *f, uint32_t addr, uint32_t len, uint32_t *off)
{
    for (unsigned i = 0; i < f->count; i++) {
        const esp_partition_t *p = f->parts[i];
        if (addr >= p->address && len <= p->size && addr - p->address <= p->size - len) {
            *off = addr - p->address;
            return p;
        }
    }
    return NULL;
}

static int map_err(esp_err_t e)
{
    switch (e) {
    case ESP_OK:
        return OTA_OK;
    case ESP_ERR_INVALID_SIZE:
        return OTA_ERR_OUT_OF_BOUNDS;
    case ESP_ERR_INVALID_ARG:
        return OTA_ERR_ALIGN;
    default:
        return OTA_ERR_IO;
    }
}

static int f_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    uint32_t off;
    const esp_partition_t *p = route(ctx, addr, len, &off);
    if (!p) {
        OTA_LOGE(TAG, "read 0x%x+%u: no partition holds it", (unsigned)addr, (unsigned)len);
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    return map_err(esp_partition_read(p, off, buf, len));
}

static int f_program(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    uint32_t off;
    const esp_partition_t *p = route(ctx, addr, len, &off);
    if (!p || p->readonly) {
        OTA_LOGE(TAG, "program 0x%x+%u: %s", (unsigned)addr, (unsigned)len, p ? "read-only partition" : "no partition");
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    return map_err(esp_partition_write(p, off, buf, len));
}

static int f_erase(void *ctx, uint32_t addr, uint32_t len)
{
    uint32_t off;
    const esp_partition_t *p = route(ctx, addr, len, &off);
    if (!p || p->readonly) {
        OTA_LOGE(TAG, "erase 0x%x+%u: %s", (unsigned)addr, (unsigned)len, p ? "read-only partition" : "no partition");
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    return map_err(esp_partition_erase_range(p, off, len));
}

/* The table has no row of its own: register one, so that reading it goes
 * through the partition API like everything else (and is decrypted with
 * flash encryption on, as ESP-IDF treats this type as always encrypted). */
static const esp_partition_t *table_partition(void)
{
    const esp_partition_t *p =
        esp_partition_find_first(ESP_PARTITION_TYPE_PARTITION_TABLE, ESP_PARTITION_SUBTYPE_PARTITION_TABLE_PRIMARY, NULL);
    if (p) {
        return p;
    }
#if CONFIG_IDF_TARGET_LINUX
    esp_flash_t *chip = NULL;
#else
    esp_flash_t *chip = esp_flash_default_chip;
#endif
    esp_err_t e = esp_partition_register_external(chip, CONFIG_PARTITION_TABLE_OFFSET, OTA_FLASH_SECTOR_SIZE,
                                                  "ota_ptable", ESP_PARTITION_TYPE_PARTITION_TABLE,
                                                  ESP_PARTITION_SUBTYPE_PARTITION_TABLE_PRIMARY, &p);
    if (e != ESP_OK) {
        OTA_LOGE(TAG, "cannot reach the partition table at 0x%x: %s", (unsigned)CONFIG_PARTITION_TABLE_OFFSET,
                 esp_err_to_name(e));
        return NULL;
    }
    return p;
}

static int chip_size(uint32_t *size)
{
#if CONFIG_IDF_TARGET_LINUX
    /* The emulated chip is the mapped file (mapped by the first partition call). */
    *size = (uint32_t)esp_partition_get_file_mmap_ctrl_act()->flash_file_size;
    return *size ? OTA_OK : OTA_ERR_IO;
#else
    return esp_flash_get_size(NULL, size) == ESP_OK ? OTA_OK : OTA_ERR_IO;
#endif
}

int ota_idf_flash_init(struct ota_idf_flash *f)
{
    memset(f, 0, sizeof(*f));
    const esp_partition_t *table = table_partition();
    if (!table) {
        return OTA_ERR_NOT_FOUND;
    }
    esp_partition_iterator_t it = esp_partition_find(ESP_PARTITION_TYPE_ANY, ESP_PARTITION_SUBTYPE_ANY, NULL);
    for (; it; it = esp_partition_next(it)) {
        if (f->count == OTA_IDF_MAX_PARTITIONS) {
            esp_partition_iterator_release(it);
            return OTA_ERR_NO_MEM;
        }
        f->parts[f->count++] = esp_partition_get(it);
    }
    bool listed = false;
    for (unsigned i = 0; i < f->count; i++) {
        listed |= f->parts[i] == table;
    }
    if (!listed) {
        if (f->count == OTA_IDF_MAX_PARTITIONS) {
            return OTA_ERR_NO_MEM;
        }
        f->parts[f->count++] = table;
    }
    int err = chip_size(&f->flash.size);
    if (err) {
        return err;
    }
    f->flash.size &= ~(OTA_FLASH_SECTOR_SIZE - 1u);
    f->flash.ctx = f;
    f->flash.read = f_read;
    f->flash.program = f_program;
    f->flash.erase = f_erase;
    return OTA_OK;
}
