/*
 * ESP-IDF partition table: the 3072-byte binary at 0x8000 and the CSV syntax
 * of gen_esp32part.py. Byte layout: ../shared/docs/esp-formats.md section 2.
 *
 * Reentrancy and lifetimes: every function works only on the structs passed
 * in and keeps nothing after it returns (a loaded table is a copy, labels
 * included), so distinct tables may be used from distinct tasks at once.
 */
#ifndef OTA_PARTITION_H
#define OTA_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/flash.h"

#define OTA_PT_OFFSET 0x8000u       /* where the bootloader reads the table */
#define OTA_PT_LEN 0xC00u           /* generated binary, padded with 0xFF */
#define OTA_PT_ROW_LEN 32u
#define OTA_PT_MAX_ENTRIES 94u      /* 94 rows + the MD5 row must stay below 0xC00 */
#define OTA_PT_LABEL_LEN 16u         /* longer names are refused, not truncated */
#define OTA_PT_BOOTLOADER_OFFSET 0x1000u  /* ESP32's second-stage bootloader: the CSV's "bootloader, primary" row */

#define OTA_PT_TYPE_APP 0x00u
#define OTA_PT_TYPE_DATA 0x01u

#define OTA_PT_APP_FACTORY 0x00u
#define OTA_PT_APP_OTA_0 0x10u      /* ota_N is 0x10 + N, N < 16 */
#define OTA_PT_APP_TEST 0x20u

#define OTA_PT_DATA_OTA 0x00u
#define OTA_PT_DATA_PHY 0x01u
#define OTA_PT_DATA_NVS 0x02u

#define OTA_PT_FLAG_ENCRYPTED 0x1u
#define OTA_PT_FLAG_READONLY 0x2u

struct ota_partition {
    uint8_t type;
    uint8_t subtype;
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    char label[OTA_PT_LABEL_LEN + 1];  /* NUL-terminated copy */
};

struct ota_ptable {
    struct ota_partition entries[OTA_PT_MAX_ENTRIES];
    unsigned count;
    bool has_md5;  /* binary only: an MD5 row was present (and matched) */
};

/* Where a table was refused: which CSV line (or binary row) and which values
 * broke which rule. The rule itself is the returned ota_err. */
struct ota_pt_diag {
    unsigned line;                      /* CSV line (1-based) or binary row (0-based) */
    char name[OTA_PT_LABEL_LEN + 8];    /* the row's partition name, if known */
    char other[OTA_PT_LABEL_LEN + 8];   /* the other partition, for overlaps / duplicates */
    uint32_t value;                     /* the offending number (offset, size, ...) */
    uint32_t limit;                     /* the bound it broke (alignment, flash size, ...) */
};

/* Parse and check a binary table. flash_size 0 skips the bounds check.
 * Errors: OTA_ERR_PT_MAGIC, OTA_ERR_PT_MD5, OTA_ERR_PT_BOUNDS,
 * OTA_ERR_PT_TOO_MANY, OTA_ERR_PT_EMPTY, OTA_ERR_INVALID_ARG. */
int ota_pt_parse_binary(const uint8_t *buf, size_t len, uint32_t flash_size,
                        struct ota_ptable *out, struct ota_pt_diag *diag);

/* Read the table at OTA_PT_OFFSET, parse it against the flash size and
 * apply every generator rule (ota_pt_check), as for a new table: the
 * service and every command that writes use this. diag.line is the 0-based
 * binary row. Errors: those of ota_pt_parse_binary and ota_pt_check. */
int ota_pt_load(const struct ota_flash *f, struct ota_ptable *out, struct ota_pt_diag *diag);

/* The bootloader's view: magic, MD5 and flash bounds only, as ESP-IDF's
 * esp_partition_table_verify() reads a table; for emulating the boot, never
 * for deciding where to write. */
int ota_pt_load_unchecked(const struct ota_flash *f, struct ota_ptable *out, struct ota_pt_diag *diag);

/* Parse gen_esp32part.py CSV text (absent when built with OTA_NO_PARTITION_CSV) (need not be NUL-terminated), fill blank
 * offsets, then apply every generator rule (ota_pt_check). flash_size 0
 * skips the end-of-flash rule. */
int ota_pt_parse_csv(const char *text, size_t len, uint32_t flash_size,
                     struct ota_ptable *out, struct ota_pt_diag *diag);

/* gen_esp32part v6.0's rules: offsets in order, no overlaps, nothing of any
 * type below the table end (but the primary bootloader and table entries),
 * alignment, one otadata and one TEE otadata of 0x2000, otadata and
 * coredump never readonly, read/write nvs >= 0x3000, unique names, flash
 * bounds. diag.line is the entry index + 1 when the table came from the
 * binary. */
int ota_pt_check(const struct ota_ptable *t, uint32_t flash_size, struct ota_pt_diag *diag);

/* Where a chip's ROM loads the second-stage bootloader from
 * (CONFIG_BOOTLOADER_OFFSET_IN_FLASH, ESP-IDF v6.0): 0x1000 on the ESP32
 * and -S2 (and for OTA_CHIP_ANY), 0x2000 on the -P4 and -C5, else 0x0
 * (ESP32-C3, -S3, -C2, -C6, -H2). */
uint32_t ota_pt_bootloader_offset(uint16_t chip_id);

/* Place the primary bootloader row (if any) as gen_esp32part
 * --primary-bootloader-offset does: at boot_offset, its size up to the
 * table. Returns the row, or NULL when the table has none. */
struct ota_partition *ota_pt_place_bootloader(struct ota_ptable *t, uint32_t boot_offset);

/* Rows, the MD5 row, 0xFF up to OTA_PT_LEN. */
int ota_pt_to_binary(const struct ota_ptable *t, uint8_t out[OTA_PT_LEN]);

const struct ota_partition *ota_pt_find_label(const struct ota_ptable *t, const char *label);
/* First partition with exactly this type and subtype. */
const struct ota_partition *ota_pt_find(const struct ota_ptable *t, uint8_t type, uint8_t subtype);

/* gen_esp32part names; NULL when the number has no name. */
const char *ota_pt_type_name(uint8_t type);
const char *ota_pt_subtype_name(uint8_t type, uint8_t subtype);

/* The "Usage" column of the bootloader's partition list ("OTA app", ...). */
const char *ota_pt_usage(const struct ota_partition *p);

/* Read callback over a partition (offsets from its start, bounded by its
 * size), for parsers that take one (tone, signature). */
struct ota_part_reader {
    const struct ota_flash *flash;
    const struct ota_partition *part;
};
int ota_part_reader_read(void *ctx, uint32_t offset, void *buf, uint32_t len);

/* True for app partitions ota_0..ota_15. */
bool ota_pt_is_ota_app(const struct ota_partition *p);

#endif
