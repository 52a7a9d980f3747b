/* Emulated eFuses beside the device image (see include/ota/host_efuse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_efuse.h"
#include "ota/host_file.h"
#include "ota/sdkconfig.h"

/* Anything we cannot read exactly is an error, never "nothing burned":
 * reading a damaged file as "secure boot off" would open the device. */
static int on_setting(void *ctx, const char *key, const char *value)
{
    struct ota_efuse *e = ctx;
    if (strcmp(key, "SECURE_BOOT_KEY_DIGEST") == 0) {
        if (!ota_host_hex32_parse(value, e->key_digest)) {
            return OTA_ERR_EFUSE_FILE;
        }
        e->key_burned = true;
    } else if (strcmp(key, "SECURE_VERSION") == 0) {
        if (!ota_host_u32_parse(value, &e->secure_version)) {
            return OTA_ERR_EFUSE_FILE;
        }
    } else {
        return OTA_ERR_EFUSE_FILE;
    }
    return OTA_OK;
}

int ota_host_efuse_parse(const char *text, size_t len, struct ota_efuse *e)
{
    memset(e, 0, sizeof(*e));
    if (ota_sdkconfig_parse(text, len, on_setting, e, NULL)) {
        memset(e, 0, sizeof(*e));
        return OTA_ERR_EFUSE_FILE;
    }
    return OTA_OK;
}

/* The record must hold at least what was burned. */
static bool holds(const struct ota_efuse *record, const struct ota_efuse *burned)
{
    if (burned->key_burned && (!record->key_burned || memcmp(record->key_digest, burned->key_digest, 32) != 0)) {
        return false;
    }
    return record->secure_version >= burned->secure_version;
}

int ota_host_efuse_load(const char *image_path, struct ota_efuse *e)
{
    struct ota_device_props props;
    memset(e, 0, sizeof(*e));
    int err = ota_host_props_load(image_path, &props);
    if (!err) {
        err = ota_host_side_load(image_path, ".efuse", OTA_ERR_EFUSE_FILE, on_setting, e);
    }
    if (!err && !holds(e, &props.burned)) {
        err = OTA_ERR_EFUSE_LOST;
    }
    if (err) {
        memset(e, 0, sizeof(*e));  /* never half a reading: a bad file is no burned key */
    }
    return err;
}

/* The record first, then the properties' copy of what was burned: a cut
 * between the two leaves the record ahead, which loads. */
static int save(const char *image_path, const struct ota_efuse *e)
{
    char text[OTA_HOST_SIDE_MAX];
    int n = snprintf(text, sizeof(text), "# Emulated eFuses (write-once key digest, counter never decreases)\n");
    if (e->key_burned) {
        n += snprintf(text + n, sizeof(text) - (size_t)n, "CONFIG_SECURE_BOOT_KEY_DIGEST=\"");
        for (int i = 0; i < 32; i++) {
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%02x", e->key_digest[i]);
        }
        n += snprintf(text + n, sizeof(text) - (size_t)n, "\"\n");
    }
    n += snprintf(text + n, sizeof(text) - (size_t)n, "CONFIG_SECURE_VERSION=%u\n", (unsigned)e->secure_version);
    int err = ota_host_side_save(image_path, ".efuse", text, (size_t)n, OTA_ERR_EFUSE_FILE);  /* all or nothing, like a burn */
    struct ota_device_props props;
    if (!err && !(err = ota_host_props_load(image_path, &props))) {
        props.burned = *e;
        err = ota_host_props_save(image_path, &props);
    }
    return err;
}

int ota_host_efuse_burn_key(const char *image_path, const uint8_t digest[32])
{
    struct ota_efuse e;
    int err = ota_host_efuse_load(image_path, &e);
    if (err) {
        return err;
    }
    if (e.key_burned) {
        return memcmp(e.key_digest, digest, 32) == 0 ? OTA_OK : OTA_ERR_SIG_KEY;
    }
    memcpy(e.key_digest, digest, 32);
    e.key_burned = true;
    return save(image_path, &e);
}

int ota_host_efuse_raise_secure_version(const char *image_path, uint32_t v)
{
    struct ota_efuse e;
    int err = ota_host_efuse_load(image_path, &e);
    if (err || v == e.secure_version) {
        return err;
    }
    if (v < e.secure_version) {
        return OTA_ERR_EFUSE_DOWN;
    }
    e.secure_version = v;
    return save(image_path, &e);
}
