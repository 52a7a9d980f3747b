/*
 * Host port: what belongs to an emulated device besides its flash. The
 * side files (eFuses, properties) sit beside the image's real path
 * (symlinks resolved), so every path that reaches the same image file
 * reaches the same eFuses and properties.
 *
 * Device properties, IMG.device (sdkconfig style, written when the device is
 * made or first booted or run with them, kept from then on; a device made
 * without a chip gets it from the first --chip it is booted or run with):
 *   CONFIG_IDF_TARGET="esp32s3"               the chip
 *   CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y   the bootloader supports rollback
 * A missing file is an ESP32 without rollback; an unreadable or malformed
 * one is OTA_ERR_DEVICE_PROPS.
 */
#ifndef OTA_HOST_DEVICE_H
#define OTA_HOST_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/sdkconfig.h"

/* realpath(image) followed by suffix, malloc'd; NULL with errno set when
 * the image cannot be resolved. */
char *ota_host_side_path(const char *image_path, const char *suffix);

/* A small side file read whole into buf (at most cap - 1 bytes, then NUL):
 * OTA_OK, or ENOENT reported through *missing, or bad_code when it is not a
 * regular file, cannot be read or is larger than cap - 1 bytes. */
int ota_host_side_read(const char *path, char *buf, size_t cap, size_t *len, bool *missing, int bad_code);

/* The largest side file of settings. */
#define OTA_HOST_SIDE_MAX 1024

/* IMAGE<suffix> as KEY=value lines (the sdkconfig syntax) through cb. A
 * missing file has no settings (OTA_OK); an unreadable, oversized or
 * malformed one, or a setting cb refuses, is bad_code. */
int ota_host_side_load(const char *image_path, const char *suffix, int bad_code, ota_sdkconfig_cb cb, void *ctx);

/* IMAGE<suffix> written whole (temp + rename): the text, or the file as it
 * was. bad_code when the image cannot be resolved. */
int ota_host_side_save(const char *image_path, const char *suffix, const char *text, size_t len, int bad_code);

struct ota_device_props {
    uint16_t chip;       /* OTA_CHIP_* (image.h) */
    bool chip_known;     /* the file names the chip */
    bool rollback;       /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
};

int ota_host_props_load(const char *image_path, struct ota_device_props *p);
int ota_host_props_save(const char *image_path, const struct ota_device_props *p);

/* "esp32", "esp32s2", "esp32c3", "esp32s3", "any" <-> OTA_CHIP_*. */
bool ota_host_chip_from_name(const char *name, uint16_t *chip);
const char *ota_host_chip_name(uint16_t chip);

#endif
