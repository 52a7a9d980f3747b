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
 *
 * Locks: a writer (open, create) holds an exclusive lock on the image file
 * while open, a reader (open_readonly) a shared one; the side files beside
 * the image (eFuses, device properties) are changed only under the
 * writer's lock. A second writer, or a reader during a write, gets
 * OTA_ERR_DEVICE_BUSY at once. A file that shrinks while open turns every
 * later access into OTA_ERR_DEVICE_SHRUNK (never SIGBUS) from the moment
 * it is seen: at once for a page the shrink cut off, else at the next
 * size check (each erase, each 64 KiB of other accesses). Something other
 * than a regular file at the path is OTA_ERR_NOT_REGULAR; a full disk when
 * creating is OTA_ERR_NO_SPACE.
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
    bool writable;              /* opened for writing (mapped read-write) */
    bool shrunk;                /* the file got shorter than the flash: all access fails */
    uint32_t unchecked_bytes;   /* accessed since the file's size was last checked */
    int old_fd;                 /* staged create: lock on the device being replaced */
    char *staged_path;          /* staged create: the temporary file until published */
    char *final_path;
};

/* Create (or truncate) path as an erased flash of size bytes (a multiple of
 * 64 KiB) and open it for writing. */
int ota_host_flash_create(struct ota_host_flash *hf, const char *path, uint32_t size);

/* The same, whole or not at all: the new flash lives in a temporary file
 * beside path until ota_host_flash_publish renames it over path (closing
 * without publishing removes it). A device already at path is locked as a
 * writer meanwhile (OTA_ERR_DEVICE_BUSY if someone writes it). */
int ota_host_flash_create_staged(struct ota_host_flash *hf, const char *path, uint32_t size);
int ota_host_flash_publish(struct ota_host_flash *hf);

/* Open an existing image for writing; its size is the flash size. */
int ota_host_flash_open(struct ota_host_flash *hf, const char *path);

/* Open an existing image for reading only (program and erase fail). */
int ota_host_flash_open_readonly(struct ota_host_flash *hf, const char *path);

void ota_host_flash_close(struct ota_host_flash *hf);

void ota_host_flash_reset_counters(struct ota_host_flash *hf);

#endif
