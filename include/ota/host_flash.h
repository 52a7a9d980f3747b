/*
 * Host port: an emulated NOR flash backed by an image file (memory-mapped).
 *
 * Real NOR rules are enforced, not assumed: erase by 4 KiB sector or 64 KiB
 * block (aligned, else OTA_ERR_ALIGN), erased bytes read 0xFF, a program
 * only clears bits (old & new) and never crosses a 256-byte page.
 *
 * Power cut: set cut_at = N and the N-th program or erase (counting from 1
 * since the flash was opened or the counters reset) is interrupted. In
 * OTA_CUT_CLEAN mode it does not happen at all; in OTA_CUT_TORN mode a
 * program clears only a random subset of the bits it would have cleared,
 * and an erase leaves a random mix of old bytes and 0xFF (seeded by
 * cut_seed, so a failure reproduces). From then on every operation fails
 * with OTA_ERR_POWER_LOST: the device is off until it is opened again.
 */
#ifndef OTA_HOST_FLASH_H
#define OTA_HOST_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"

#define OTA_HOST_FLASH_DEFAULT_SIZE (4u * 1024u * 1024u)

enum ota_cut_mode {
    OTA_CUT_CLEAN = 0,
    OTA_CUT_TORN = 1,
};

struct ota_flash_counters {
    uint64_t reads;
    uint64_t bytes_read;
    uint64_t programs;          /* program operations (each within one page) */
    uint64_t bytes_programmed;
    uint64_t sector_erases;     /* 4 KiB erases */
    uint64_t block_erases;      /* 64 KiB erases */
    uint64_t ops;               /* programs + erases: what cut_at counts */
};

struct ota_host_flash {
    struct ota_flash flash;     /* hand &hf->flash to the core */
    int fd;
    uint8_t *map;               /* the file, mapped shared */
    struct ota_flash_counters count;
    uint64_t cut_at;            /* 0 = never */
    enum ota_cut_mode cut_mode;
    uint32_t cut_seed;
    bool powered_off;
};

/* Create (or truncate) path as an erased flash of size bytes (a multiple of
 * 64 KiB) and open it. */
int ota_host_flash_create(struct ota_host_flash *hf, const char *path, uint32_t size);

/* Open an existing image; its size is the flash size. */
int ota_host_flash_open(struct ota_host_flash *hf, const char *path);

void ota_host_flash_close(struct ota_host_flash *hf);

void ota_host_flash_reset_counters(struct ota_host_flash *hf);

#endif
