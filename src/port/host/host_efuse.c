/* Emulated eFuses beside the device image (see include/ota/host_efuse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_efuse.h"
#include "ota/host_file.h"
#include "ota/sdkconfig.h"

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool parse_digest(const char *v, uint8_t out[32])
{
    if (strlen(v) != 64) {
        return false;
    }
    for (int i = 0; i < 32; i++) {
        int hi = hex_nibble(v[2 * i]), lo = hex_nibble(v[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool parse_u32(const char *v, uint32_t *out)
{
    uint64_t x = 0;
    if (!*v) {
        return false;
    }
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || (x = x * 10 + (uint64_t)(*v - '0')) > 0xFFFFFFFFu) {
            return false;
        }
    }
    *out = (uint32_t)x;
    return true;
}

/* Anything we cannot read exactly is an error, never "nothing burned":
 * reading a damaged file as "secure boot off" would open the device. */
static int on_setting(void *ctx, const char *key, const char *value)
{
    struct ota_efuse *e = ctx;
    if (strcmp(key, "SECURE_BOOT_KEY_DIGEST") == 0) {
        if (!parse_digest(value, e->key_digest)) {
            return OTA_ERR_EFUSE_FILE;
        }
        e->key_burned = true;
    } else if (strcmp(key, "SECURE_VERSION") == 0) {
        if (!parse_u32(value, &e->secure_version)) {
            return OTA_ERR_EFUSE_FILE;
        }
    } else {
        return OTA_ERR_EFUSE_FILE;
    }
    return OTA_OK;
}

int ota_host_efuse_load(const char *image_path, struct ota_efuse *e)
{
    memset(e, 0, sizeof(*e));
    int err = ota_host_side_load(image_path, ".efuse", OTA_ERR_EFUSE_FILE, on_setting, e);
    if (err) {
        memset(e, 0, sizeof(*e));  /* never half a reading: a bad file is no burned key */
    }
    return err;
}

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
    return ota_host_side_save(image_path, ".efuse", text, (size_t)n, OTA_ERR_EFUSE_FILE);  /* all or nothing, like a burn */
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
    if (err || v <= e.secure_version) {
        return err;
    }
    e.secure_version = v;
    return save(image_path, &e);
}
