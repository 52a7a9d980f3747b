/*
 * The flash port: what the portable core needs from a NOR flash.
 *
 * A port fills one struct ota_flash with its geometry and three callbacks.
 * The core reaches flash only through ota_flash_read/program/erase below
 * (src/core/flash.c), which check bounds and alignment and split programs at
 * page boundaries, so every port sees only well-formed operations.
 *
 * Reentrancy and lifetimes: ota_flash_* keep no state of their own. The
 * port's callbacks run synchronously in the caller's context; the core never
 * issues two operations on one struct ota_flash at once, so a port needs no
 * lock of its own unless other code shares the chip. The struct must stay
 * valid while a core call uses it; no pointer to a caller's buffer is kept
 * after a call returns.
 */
#ifndef OTA_FLASH_H
#define OTA_FLASH_H

#include <stdint.h>
#include <stddef.h>

#define OTA_FLASH_SECTOR_SIZE 0x1000u  /* erase unit */
#define OTA_FLASH_BLOCK_SIZE 0x10000u  /* large erase unit, used when aligned */
#define OTA_FLASH_PAGE_SIZE 0x100u     /* a program never crosses a page */

struct ota_flash {
    void *ctx;          /* passed back to every callback */
    uint32_t size;      /* total bytes; a multiple of the sector size */

    /* Copy len bytes at addr into buf. Returns 0 or a negative ota_err. */
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);

    /* Program len bytes at addr: each byte becomes old & new. The range lies
     * within one page. Returns 0 or a negative ota_err. */
    int (*program)(void *ctx, uint32_t addr, const void *buf, uint32_t len);

    /* Erase [addr, addr+len) to 0xFF. len is OTA_FLASH_SECTOR_SIZE or
     * OTA_FLASH_BLOCK_SIZE and addr is aligned to len. Returns 0 or a
     * negative ota_err. */
    int (*erase)(void *ctx, uint32_t addr, uint32_t len);
};

/* Bounds-checked read. */
int ota_flash_read(const struct ota_flash *f, uint32_t addr, void *buf, uint32_t len);

/* Program any range; split at page boundaries. The range must be erased
 * (or the caller accepts old & new). */
int ota_flash_program(const struct ota_flash *f, uint32_t addr, const void *buf, uint32_t len);

/* Erase a sector-aligned range, using 64 KiB block erases where the range
 * covers whole aligned blocks and 4 KiB sector erases elsewhere.
 * Returns OTA_ERR_ALIGN if addr or len is not sector aligned. */
int ota_flash_erase(const struct ota_flash *f, uint32_t addr, uint32_t len);

#endif
