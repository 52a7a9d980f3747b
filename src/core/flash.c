/* The single choke point for flash I/O in the core: bounds, alignment, page
 * splitting and the choice between sector and block erase live here only. */
#include "ota/flash.h"
#include "ota/error.h"

static int check_range(const struct ota_flash *f, uint32_t addr, uint32_t len)
{
    if (f == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (addr > f->size || len > f->size - addr) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    return OTA_OK;
}

int ota_flash_read(const struct ota_flash *f, uint32_t addr, void *buf, uint32_t len)
{
    int err = check_range(f, addr, len);
    if (err) {
        return err;
    }
    if (len == 0) {
        return OTA_OK;
    }
    return f->read(f->ctx, addr, buf, len);
}

int ota_flash_program(const struct ota_flash *f, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    int err = check_range(f, addr, len);
    if (err) {
        return err;
    }
    while (len > 0) {
        uint32_t room = OTA_FLASH_PAGE_SIZE - (addr % OTA_FLASH_PAGE_SIZE);
        uint32_t n = len < room ? len : room;
        err = f->program(f->ctx, addr, p, n);
        if (err) {
            return err;
        }
        addr += n;
        p += n;
        len -= n;
    }
    return OTA_OK;
}

int ota_flash_erase(const struct ota_flash *f, uint32_t addr, uint32_t len)
{
    int err = check_range(f, addr, len);
    if (err) {
        return err;
    }
    if (addr % OTA_FLASH_SECTOR_SIZE || len % OTA_FLASH_SECTOR_SIZE) {
        return OTA_ERR_ALIGN;
    }
    while (len > 0) {
        uint32_t unit = OTA_FLASH_SECTOR_SIZE;
        if (addr % OTA_FLASH_BLOCK_SIZE == 0 && len >= OTA_FLASH_BLOCK_SIZE) {
            unit = OTA_FLASH_BLOCK_SIZE;
        }
        err = f->erase(f->ctx, addr, unit);
        if (err) {
            return err;
        }
        addr += unit;
        len -= unit;
    }
    return OTA_OK;
}
