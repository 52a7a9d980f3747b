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
 *   CONFIG_CHIP_REVISION="v0.4"               the chip's revision (vMAJOR.MINOR)
 *   CONFIG_SECURE_BOOT_V2_ENABLED=y           a Secure Boot key digest was burned,
 *   CONFIG_SECURE_BOOT_KEY_DIGEST="<64 hex>"  this one (see host_efuse.h)
 *   CONFIG_SECURE_VERSION_BURNED=<n>          the eFuse counter reached n
 * A missing file is an ESP32 without rollback; an unreadable or malformed
 * one is OTA_ERR_DEVICE_PROPS. Without a recorded revision the chip is the
 * revision it is sold as today (ota_host_chip_default_rev).
 */
#ifndef OTA_HOST_DEVICE_H
#define OTA_HOST_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/host_efuse.h"
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
    bool chip_rev_known; /* the file names the revision */
    uint16_t chip_rev;   /* major*100 + minor, as image headers count */
    struct ota_efuse burned;  /* what the eFuses were burned to: their record must hold at least this */
};

int ota_host_props_load(const char *image_path, struct ota_device_props *p);
int ota_host_props_save(const char *image_path, const struct ota_device_props *p);

/* "esp32", "esp32s2", "esp32c3", "esp32s3", "any" <-> OTA_CHIP_*. */
bool ota_host_chip_from_name(const char *name, uint16_t *chip);
const char *ota_host_chip_name(uint16_t chip);

/* The revision each chip is sold as: ESP32 v3.0, ESP32-S2 v1.0, ESP32-S3
 * v0.2, ESP32-C3 v0.4 (major*100 + minor). */
uint16_t ota_host_chip_default_rev(uint16_t chip);

/* The device's revision: recorded, else the chip's default. */
uint16_t ota_host_props_chip_rev(const struct ota_device_props *p);

/* "vX.Y" (or "X.Y"), Y <= 99 -> X*100 + Y, below OTA_CHIP_REV_ANY. */
bool ota_host_chip_rev_parse(const char *s, uint16_t *rev);

/* The properties file's text (IMG.device) parsed: OTA_OK or OTA_ERR_DEVICE_PROPS. */
int ota_host_props_parse(const char *text, size_t len, struct ota_device_props *p);

/* Decimal digits only, up to 4294967295. */
bool ota_host_u32_parse(const char *v, uint32_t *out);

/* 64 hex digits -> 32 bytes. */
bool ota_host_hex32_parse(const char *hex, uint8_t out[32]);

#endif
