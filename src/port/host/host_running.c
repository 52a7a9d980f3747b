/* IMAGE.running: one line "running_app_offset=0x..." written whole by rename. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_running.h"

/* Beside the image's real path, like the other side files: every path to
 * the same image reaches the same record. */
static int record_path(const char *image, const char *suffix, char **out)
{
    *out = ota_host_side_path(image, suffix);
    return *out ? OTA_OK : OTA_ERR_IO;
}

int ota_host_running_save(const char *image, uint32_t offset)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "running_app_offset=0x%x\n", (unsigned)offset);
    return ota_host_side_save(image, ".running", line, (size_t)n, OTA_ERR_IO) ? OTA_ERR_IO : OTA_OK;
}

int ota_host_running_load(const char *image, uint32_t *offset)
{
    char *path = NULL;
    char line[64];
    int err = record_path(image, ".running", &path);
    if (err) {
        return err;
    }
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) {
        return errno == ENOENT ? OTA_ERR_NOT_FOUND : OTA_ERR_IO;
    }
    char *end = NULL;
    unsigned long v = 0;
    bool ok = fgets(line, sizeof(line), f) && strncmp(line, "running_app_offset=", 19) == 0;
    if (ok) {
        errno = 0;
        v = strtoul(line + 19, &end, 0);
        ok = errno == 0 && end != line + 19 && (*end == '\n' || *end == '\0') && v <= 0xFFFFFFFFul;
    }
    fclose(f);
    if (!ok) {
        return OTA_ERR_CONFIG_SYNTAX;
    }
    *offset = (uint32_t)v;
    return OTA_OK;
}
