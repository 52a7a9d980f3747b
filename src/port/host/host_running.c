/* IMAGE.running: one line "running_app_offset=0x..." written whole by rename. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_running.h"

static int record_path(const char *image, const char *suffix, char **out)
{
    size_t n = strlen(image) + strlen(suffix) + 1;
    *out = malloc(n);
    if (!*out) {
        return OTA_ERR_NO_MEM;
    }
    snprintf(*out, n, "%s%s", image, suffix);
    return OTA_OK;
}

int ota_host_running_save(const char *image, uint32_t offset)
{
    char *path = NULL, *tmp = NULL;
    int err = record_path(image, ".running", &path);
    if (!err) {
        err = record_path(image, ".running.tmp", &tmp);
    }
    if (!err) {
        FILE *f = fopen(tmp, "w");
        bool ok = f && fprintf(f, "running_app_offset=0x%x\n", (unsigned)offset) > 0;
        ok = f && fclose(f) == 0 && ok;
        err = ok && rename(tmp, path) == 0 ? OTA_OK : OTA_ERR_IO;
        if (err) {
            unlink(tmp);
        }
    }
    free(path);
    free(tmp);
    return err;
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
