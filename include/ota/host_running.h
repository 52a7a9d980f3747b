/*
 * Which app runs on an emulated device: what its last power-on booted, as
 * long as the flash still holds it.
 *
 * On a chip the port asks the hardware (esp_ota_get_running_partition());
 * here a power-on records the app it booted in a file beside the device
 * image (IMAGE.running, every path to the image reaches the same record):
 *   running_app_offset=0x10000     the partition it booted from
 *   running_app_length=100032      the image's length as verified
 *   running_app_sha256=<64 hex>    SHA-256 of those bytes of flash
 * Exactly these three lines, in this order. A record is believed only while
 * the flash holds those very bytes there: an image file replaced by cp,
 * esptool write_flash or `ota flash write` makes it stale, and the device
 * then counts as freshly flashed and boots first (host_power.h).
 */
#ifndef OTA_HOST_RUNNING_H
#define OTA_HOST_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/flash.h"

struct ota_host_running {
    uint32_t offset;
    uint32_t length;
    uint8_t sha256[32];
};

/* The record's text: OTA_OK or OTA_ERR_CONFIG_SYNTAX. */
int ota_host_running_parse(const char *text, size_t len, struct ota_host_running *r);

/* IMAGE.running: OTA_ERR_NOT_FOUND when there is none, OTA_ERR_CONFIG_SYNTAX
 * when it is malformed, OTA_ERR_IO when it cannot be read. */
int ota_host_running_load(const char *image, struct ota_host_running *r);

/* Written whole (temp + rename); OTA_ERR_NO_SPACE on a full disk. */
int ota_host_running_save(const char *image, const struct ota_host_running *r);

/* Remove the record (none is fine): done before every power-on, so a
 * record that cannot be written afterwards is missing, never stale. */
int ota_host_running_forget(const char *image);

/* The record of `length` bytes of flash at `offset`. */
int ota_host_running_measure(const struct ota_flash *f, uint32_t offset, uint32_t length, struct ota_host_running *r);

/* Does the flash still hold the recorded image at its offset? */
bool ota_host_running_still_there(const struct ota_flash *f, const struct ota_host_running *r);

#endif
