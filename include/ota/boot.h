/*
 * The second-stage bootloader's choice of app, as ESP-IDF makes it
 * (bootloader_utility.c): read the partition table, pick a slot from
 * otadata, verify that image, fall back in ESP-IDF's order when it does not
 * verify. With rollback on, apply the trial-boot transitions in otadata.
 */
#ifndef OTA_BOOT_H
#define OTA_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/flash.h"
#include "ota/image.h"
#include "ota/partition.h"

#define OTA_BOOT_FACTORY (-1)
#define OTA_BOOT_TEST (-2)

struct ota_boot_opts {
    bool rollback;      /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    uint16_t chip_id;   /* the device's chip; OTA_CHIP_ANY accepts any */
    uint16_t chip_rev;  /* major*100 + minor */
    const uint8_t *trusted_key_digest;  /* Secure Boot V2: boot only apps signed by this key */
    uint32_t secure_version;            /* anti-rollback: skip apps below this counter */
    bool dry_run;                       /* decide only: write nothing to otadata */
};

struct ota_boot_result {
    int chosen;                  /* index otadata chose: slot, or OTA_BOOT_FACTORY */
    int booted;                  /* index that verified and boots */
    struct ota_partition part;   /* the partition that boots */
    struct ota_image_info info;  /* its image */
    uint32_t otadata_state;      /* after boot, the booted app's state as the app reads it
                                  * (esp_ota_get_state_partition of the running app): PENDING_VERIFY
                                  * = on trial; UNDEFINED for factory/test or no copy naming it */
    bool fell_back;              /* booted != chosen */
    struct ota_ptable table;     /* the table read from flash (working memory of ota_boot) */
};

/* Run the bootloader's selection on a device. Reentrant: its working
 * memory (about 3.5 KiB) is the caller's res. Logs as ESP-IDF does (tag
 * "boot" and "esp_image"). Errors: the partition table's, or
 * OTA_ERR_BOOT_NO_APP when nothing verifies; flash errors pass through. */
int ota_boot(const struct ota_flash *f, const struct ota_boot_opts *opts, struct ota_boot_result *res);

/* Print the partition table in the bootloader's layout. */
void ota_boot_log_table(const struct ota_ptable *t);

/* Log the segment table as ESP-IDF's esp_image does while loading. */
void ota_image_log_segments(const struct ota_partition *part, const struct ota_image_info *info);

/* Collect the ota_N app partitions by slot (subtype & 0xF). Returns the
 * slot count the app side maps otadata over, as
 * esp_ota_get_app_partition_count() counts it: ota_0, ota_1, ... up to the
 * first missing subtype (ota_0, ota_1, ota_3 -> 2; ota_3 cannot be selected). */
unsigned ota_boot_ota_slots(const struct ota_ptable *t, const struct ota_partition *slots[16]);

/* The slot count the bootloader maps otadata over, as
 * bootloader_utility_load_partition_table() counts it: every OTA app row
 * (ota_0, ota_1, ota_3 -> 3). It boots only slots below this count. */
unsigned ota_boot_slot_count(const struct ota_ptable *t);

#endif
