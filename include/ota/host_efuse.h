/*
 * Host port: the device's eFuses that matter to updates, emulated in a
 * small sdkconfig-style file beside the flash image's real path (IMG.efuse,
 * symlinks resolved: every path to the same image sees the same fuses):
 *   CONFIG_SECURE_BOOT_KEY_DIGEST="<64 hex>"   Secure Boot V2 on, with this key
 *   CONFIG_SECURE_VERSION=<n>                  the anti-rollback counter
 * Like real eFuses, the key digest is written once and the counter never
 * goes down. A file that cannot be read, is not a regular file, or holds
 * anything but these two keys with well-formed values is OTA_ERR_EFUSE_FILE
 * (never "not burned").
 *
 * A chip cannot lose its fuses, but a file can be deleted, emptied or
 * edited. So what was burned is known twice: every burn writes IMG.efuse
 * first, then records the same facts in the device properties (IMG.device:
 * CONFIG_SECURE_BOOT_V2_ENABLED, CONFIG_SECURE_BOOT_KEY_DIGEST,
 * CONFIG_SECURE_VERSION_BURNED; see host_device.h). Loading checks that the
 * eFuse record holds at least what the properties say was burned: the same
 * key, a counter no lower. A record that falls short (missing, emptied, a
 * key line removed, another key, a counter edited down) is
 * OTA_ERR_EFUSE_LOST and stops every command that reads the fuses, never
 * "secure boot off". A power cut between the two writes leaves the record
 * ahead of the properties, which is consistent; the next burn catches up.
 * A missing IMG.efuse with nothing recorded as burned is a blank chip.
 * Callers change the fuses only while holding the image's writer lock.
 */
#ifndef OTA_HOST_EFUSE_H
#define OTA_HOST_EFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ota_efuse {
    bool key_burned;
    uint8_t key_digest[32];
    uint32_t secure_version;
};

/* The fuses, checked against what was burned (OTA_ERR_EFUSE_LOST), or an
 * error of the record (OTA_ERR_EFUSE_FILE) or of the properties
 * (OTA_ERR_DEVICE_PROPS); on error *e is all zero. */
int ota_host_efuse_load(const char *image_path, struct ota_efuse *e);

/* The record's text parsed on its own: OTA_OK or OTA_ERR_EFUSE_FILE. */
int ota_host_efuse_parse(const char *text, size_t len, struct ota_efuse *e);

/* Burn the key digest: OTA_ERR_SIG_KEY when a different one is already
 * burned; the same one again changes nothing. */
int ota_host_efuse_burn_key(const char *image_path, const uint8_t digest[32]);

/* Raise the counter to v: the same v changes nothing, a lower one is
 * OTA_ERR_EFUSE_DOWN. */
int ota_host_efuse_raise_secure_version(const char *image_path, uint32_t v);

#endif
