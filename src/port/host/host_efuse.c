/* Emulated eFuses in IMG.efuse (see include/ota/host_efuse.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_efuse.h"
#include "ota/sdkconfig.h"

static void efuse_path(char *out, size_t cap, const char *image_path)
{
    snprintf(out, cap, "%s.efuse", image_path);
}

static int on_setting(void *ctx, const char *key, const char *value)
{
    struct ota_efuse *e = ctx;
    if (strcmp(key, "SECURE_BOOT_KEY_DIGEST") == 0 && strlen(value) == 64) {
        for (int i = 0; i < 32; i++) {
            unsigned v;
            if (sscanf(value + 2 * i, "%2x", &v) != 1) {
                return OTA_ERR_CONFIG_SYNTAX;
            }
            e->key_digest[i] = (uint8_t)v;
        }
        e->key_burned = true;
    } else if (strcmp(key, "SECURE_VERSION") == 0) {
        e->secure_version = (uint32_t)strtoul(value, NULL, 10);
    }
    return OTA_OK;
}

int ota_host_efuse_load(const char *image_path, struct ota_efuse *e)
{
    char path[4096], text[1024];
    memset(e, 0, sizeof(*e));
    efuse_path(path, sizeof(path), image_path);
    FILE *f = fopen(path, "r");
    if (!f) {
        return errno == ENOENT ? OTA_OK : OTA_ERR_IO;
    }
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    return ota_sdkconfig_parse(text, n, on_setting, e, NULL);
}

static int save(const char *image_path, const struct ota_efuse *e)
{
    char path[4096], tmp[4200];
    efuse_path(path, sizeof(path), image_path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return OTA_ERR_IO;
    }
    fprintf(f, "# Emulated eFuses of %s (write-once key digest, counter never decreases)\n", image_path);
    if (e->key_burned) {
        fprintf(f, "CONFIG_SECURE_BOOT_KEY_DIGEST=\"");
        for (int i = 0; i < 32; i++) {
            fprintf(f, "%02x", e->key_digest[i]);
        }
        fprintf(f, "\"\n");
    }
    fprintf(f, "CONFIG_SECURE_VERSION=%u\n", (unsigned)e->secure_version);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {  /* all or nothing, like a burn */
        remove(tmp);
        return OTA_ERR_IO;
    }
    return OTA_OK;
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
