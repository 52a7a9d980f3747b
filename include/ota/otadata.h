/*
 * otadata: which OTA slot boots, and the rollback state of that choice.
 * Exactly as ESP-IDF defines it (../shared/docs/esp-formats.md section 3):
 * two 32-byte copies, one per sector, CRC over the sequence number only.
 *
 * Reentrancy: reading and deciding are pure functions of the structs passed
 * in. Writes (select, mark) change the device: the caller runs one writer at
 * a time per device (the host port holds a lock on the image; a firmware
 * runs its OTA in one task).
 */
#ifndef OTA_OTADATA_H
#define OTA_OTADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/partition.h"

#define OTA_OTADATA_ENTRY_LEN 32u

enum ota_img_state {
    OTA_IMG_NEW = 0,
    OTA_IMG_PENDING_VERIFY = 1,
    OTA_IMG_VALID = 2,
    OTA_IMG_INVALID = 3,
    OTA_IMG_ABORTED = 4,
    OTA_IMG_UNDEFINED = 0xFFFFFFFFu,
};

struct ota_select_entry {
    uint32_t seq;
    uint8_t seq_label[20];
    uint32_t state;
    uint32_t crc;
};

struct ota_otadata {
    struct ota_select_entry copy[2];
};

/* The CRC ESP-IDF stores over the 4 bytes of seq: esp_rom_crc32_le(UINT32_MAX, ...),
 * i.e. zlib crc32 continued from 0xFFFFFFFF. */
uint32_t ota_otadata_crc(uint32_t seq);

void ota_otadata_decode(const uint8_t raw[OTA_OTADATA_ENTRY_LEN], struct ota_select_entry *e);
void ota_otadata_encode(const struct ota_select_entry *e, uint8_t raw[OTA_OTADATA_ENTRY_LEN]);

/* seq set, CRC right, state not INVALID / ABORTED. */
bool ota_otadata_usable(const struct ota_select_entry *e);

/* Index (0 or 1) of the copy that counts, or -1 when neither is usable.
 * Two usable copies: the larger seq wins, copy 0 on a tie. */
int ota_otadata_active(const struct ota_otadata *od);

/* Read both copies of the otadata partition. */
int ota_otadata_read(const struct ota_flash *f, const struct ota_partition *part, struct ota_otadata *od);

/* Erase the sector of copy idx and program e into it; od is updated. */
int ota_otadata_write(const struct ota_flash *f, const struct ota_partition *part,
                      struct ota_otadata *od, int idx, const struct ota_select_entry *e);

/* Boot slot index of the active copy: (seq - 1) % app_count. The app side
 * (esp_ota_ops) maps over ota_boot_ota_slots()'s count, the bootloader over
 * ota_boot_slot_count(): they differ when the table has a gap.
 * OTA_ERR_OTADATA_NONE when no copy is usable. */
int ota_otadata_boot_slot(const struct ota_otadata *od, unsigned app_count);

/* Select slot for the next boot, as esp_ota_set_boot_partition does
 * (ESP-IDF v6.0, esp_rewrite_ota_data): the slot already active rewrites
 * its own copy with the same seq; another slot gets the other copy with the
 * next seq that maps to it; with no usable copy, copy 0 with seq = slot + 1.
 * The written entry keeps the seq_label it had. State NEW when rollback is
 * on, else UNDEFINED. The caller verifies the image first. Errors:
 * OTA_ERR_OTADATA_NO_SLOT, OTA_ERR_OTADATA_SEQ_WRAP (no seq left that the
 * bootloader would follow: nothing written), flash errors. */
int ota_otadata_select(const struct ota_flash *f, const struct ota_partition *part,
                       struct ota_otadata *od, unsigned slot, unsigned app_count, bool rollback);

/* Rewrite the active copy (same sector, same seq) with a new state: VALID
 * (mark valid), INVALID (mark invalid), PENDING_VERIFY / ABORTED (bootloader).
 * OTA_ERR_OTADATA_NONE when no copy is active. */
int ota_otadata_set_state(const struct ota_flash *f, const struct ota_partition *part,
                          struct ota_otadata *od, uint32_t state);

const char *ota_img_state_name(uint32_t state);

/* For the running app, as esp_ota_mark_app_valid_cancel_rollback() and
 * esp_ota_mark_app_invalid_rollback() do it (esp_ota_current_ota_is_workable):
 * set the active otadata copy VALID (no write when it already is), or
 * INVALID so the next boot takes the previous app. Invalid is refused,
 * nothing written, when esp_ota_check_rollback_is_possible() would say no:
 * the other copy's slot holds no app that verifies (or, with the other copy
 * unusable, there is no factory app that verifies). Errors:
 * OTA_ERR_NOT_FOUND (no otadata partition), OTA_ERR_OTADATA_NONE (no active
 * copy or no OTA slot: the running app is the factory one),
 * OTA_ERR_OTA_ROLLBACK_FAILED, flash errors. */
int ota_app_mark_valid(const struct ota_flash *f, const struct ota_ptable *t);
int ota_app_mark_invalid(const struct ota_flash *f, const struct ota_ptable *t);

#endif
