/* Test helpers: temporary flash files, images in memory, a seed device. */
#ifndef OTA_TEST_HELPERS_H
#define OTA_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ota/boot.h"
#include "ota/host_flash.h"
#include "ota/image.h"
#include "ota/partition.h"

/* The table of the seed example (same as ../shared/vectors/seed_partitions.csv). */
extern const char seed_csv[];

struct buf {
    uint8_t *data;
    size_t len, cap;
};

int buf_emit(void *ctx, const void *data, size_t len);
void buf_free(struct buf *b);

/* A built app image in memory. */
struct buf make_image(const char *project, const char *version, uint32_t size, uint16_t chip);

/* Patch forms a stalling patch can take. */
enum stall_form { STALL_DETOOLS, STALL_HEATSHRINK, STALL_COMPACT };

/* A hostile patch for the base whose appended SHA-256 is base (old_size
 * bytes long), announcing a new image of new_size bytes, whose body is
 * body_len zero bytes: in every form an endless run of empty steps (no
 * diff, no extra, no seek), which produce nothing. */
struct buf make_stalling_patch(enum stall_form form, const uint8_t base[32], uint32_t old_size, uint32_t new_size,
                               size_t body_len);

/* A fresh temporary flash file of size bytes, opened; path kept for reopen. */
struct tmp_flash {
    struct ota_host_flash hf;
    char path[64];
};
void tmp_flash_create(struct tmp_flash *t, uint32_t size);
void tmp_flash_reopen(struct tmp_flash *t);  /* "power on" again */
void tmp_flash_destroy(struct tmp_flash *t);

/* Create a 4 MiB device with the seed table; returns the table. */
void make_seed_device(struct tmp_flash *t, struct ota_ptable *table);

/* Erase and program data at a partition's start. */
void write_partition(struct tmp_flash *t, const struct ota_partition *p, const void *data, size_t len);

/* The app the bootloader boots on this flash now (a dry run: nothing
 * written): what a port reports as running after a restart. */
uint32_t booted_app_offset(const struct ota_flash *f);

/* Write a whole file dir/name (an SD card folder's file); fails the test if it cannot. */
void put_file(const char *dir, const char *name, const void *data, size_t len);

/* The bootloader (no secure boot, an ESP32) boots the app in partition
 * `label`; what it found, until the next call. */
const struct ota_boot_result *assert_boots(const struct ota_flash *f, const char *label);

/* Path of a vector file, or NULL when the vectors are not present. */
const char *vector_path(const char *name);
/* Read a whole file; fails the test if it cannot. */
struct buf read_file(const char *path);

/* For test programs that need the vectors: exit 77 (skipped) without them. */
void require_vectors(void);

#endif
