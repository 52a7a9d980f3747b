/* The accepted manifest serial in IMG.manifest (see include/ota/host_release.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_release.h"
#include "ota/sdkconfig.h"

static void serial_path(char *out, size_t cap, const char *image_path)
{
    snprintf(out, cap, "%s.manifest", image_path);
}

static int on_setting(void *ctx, const char *key, const char *value)
{
    char *end;
    if (strcmp(key, "MANIFEST_SERIAL") == 0) {
        unsigned long v = strtoul(value, &end, 10);
        if (!value[0] || *end || v > UINT32_MAX) {
            return OTA_ERR_CONFIG_SYNTAX;
        }
        *(uint32_t *)ctx = (uint32_t)v;
    }
    return OTA_OK;
}

int ota_host_manifest_serial_load(const char *image_path, uint32_t *serial)
{
    char path[4096], text[512];
    *serial = 0;
    serial_path(path, sizeof(path), image_path);
    FILE *f = fopen(path, "r");
    if (!f) {
        return errno == ENOENT ? OTA_OK : OTA_ERR_IO;
    }
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    return ota_sdkconfig_parse(text, n, on_setting, serial, NULL);
}

int ota_host_manifest_serial_save(const char *image_path, uint32_t serial)
{
    char path[4096], tmp[4200];
    uint32_t kept;
    int err = ota_host_manifest_serial_load(image_path, &kept);
    if (err || serial <= kept) {
        return err;
    }
    serial_path(path, sizeof(path), image_path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return OTA_ERR_IO;
    }
    fprintf(f, "# The highest release-manifest serial %s accepted (never decreases)\n", image_path);
    fprintf(f, "CONFIG_MANIFEST_SERIAL=%u\n", (unsigned)serial);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return OTA_ERR_IO;
    }
    return OTA_OK;
}
