/*
 * Host port: the device's eFuses that matter to updates, emulated in a
 * small sdkconfig-style file beside the flash image's real path (IMG.efuse,
 * symlinks resolved: every path to the same image sees the same fuses):
 *   CONFIG_SECURE_BOOT_KEY_DIGEST="<64 hex>"   Secure Boot V2 on, with this key
 *   CONFIG_SECURE_VERSION=<n>                  the anti-rollback counter
 * Like real eFuses, the key digest is written once and the counter never
 * goes down. A missing file is a device with nothing burned; a file that
 * cannot be read, is not a regular file, or holds anything but these two
 * keys with well-formed values is OTA_ERR_EFUSE_FILE (never "not burned").
 * Callers change the fuses only while holding the image's writer lock.
 */
#ifndef OTA_HOST_EFUSE_H
#define OTA_HOST_EFUSE_H

#include <stdbool.h>
#include <stdint.h>

struct ota_efuse {
    bool key_burned;
    uint8_t key_digest[32];
    uint32_t secure_version;
};

int ota_host_efuse_load(const char *image_path, struct ota_efuse *e);

/* Burn the key digest: OTA_ERR_SIG_KEY when a different one is already burned. */
int ota_host_efuse_burn_key(const char *image_path, const uint8_t digest[32]);

/* Raise the counter to v (a lower v changes nothing). */
int ota_host_efuse_raise_secure_version(const char *image_path, uint32_t v);

#endif
