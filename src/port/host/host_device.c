/* Side files of an emulated device: located by the image's real path,
 * read whole and bounded, written whole or not at all; the device
 * properties file (see include/ota/host_device.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/host_device.h"
#include "ota/host_file.h"
#include "ota/image.h"
#include "ota/sdkconfig.h"

char *ota_host_side_path(const char *image_path, const char *suffix)
{
    char *real = image_path ? realpath(image_path, NULL) : NULL;
    if (!real) {
        return NULL;
    }
    size_t n = strlen(real), k = strlen(suffix);
    char *out = realloc(real, n + k + 1);
    if (!out) {
        free(real);
        return NULL;
    }
    memcpy(out + n, suffix, k + 1);
    return out;
}

int ota_host_side_read(const char *path, char *buf, size_t cap, size_t *len, bool *missing, int bad_code)
{
    struct stat st;
    *missing = false;
    *len = 0;
    /* O_NONBLOCK: a FIFO planted there must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *missing = errno == ENOENT;
        return *missing ? OTA_OK : bad_code;
    }
    int err = OTA_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size >= cap) {
        err = bad_code;  /* a directory, FIFO, device, or too large to be ours */
    }
    while (!err && *len < cap - 1) {
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n < 0) {
            err = bad_code;
        } else if (n == 0) {
            break;
        } else {
            *len += (size_t)n;
        }
    }
    close(fd);
    buf[*len] = '\0';
    return err;
}

int ota_host_side_load(const char *image_path, const char *suffix, int bad_code, ota_sdkconfig_cb cb, void *ctx)
{
    char text[OTA_HOST_SIDE_MAX];
    size_t len;
    bool missing;
    char *path = ota_host_side_path(image_path, suffix);
    if (!path) {
        return bad_code;
    }
    int err = ota_host_side_read(path, text, sizeof(text), &len, &missing, bad_code);
    free(path);
    if (err || missing) {
        return err;
    }
    return ota_sdkconfig_parse(text, len, cb, ctx, NULL) ? bad_code : OTA_OK;
}

int ota_host_side_save(const char *image_path, const char *suffix, const char *text, size_t len, int bad_code)
{
    char *path = ota_host_side_path(image_path, suffix);
    if (!path) {
        return bad_code;
    }
    int err = ota_host_write_file(path, text, len);
    free(path);
    return err;
}

static const struct {
    const char *name;
    uint16_t id;
} chips[] = {
    {"esp32", OTA_CHIP_ESP32}, {"esp32s2", OTA_CHIP_ESP32S2}, {"esp32c3", OTA_CHIP_ESP32C3},
    {"esp32s3", OTA_CHIP_ESP32S3}, {"any", OTA_CHIP_ANY},
};

bool ota_host_chip_from_name(const char *name, uint16_t *chip)
{
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        if (strcmp(name, chips[i].name) == 0) {
            *chip = chips[i].id;
            return true;
        }
    }
    return false;
}

const char *ota_host_chip_name(uint16_t chip)
{
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        if (chips[i].id == chip) {
            return chips[i].name;
        }
    }
    return "unknown";
}

/* Every line must be one of ours with a value it can mean. */
static int on_prop(void *ctx, const char *key, const char *value)
{
    struct ota_device_props *p = ctx;
    if (strcmp(key, "IDF_TARGET") == 0) {
        if (!ota_host_chip_from_name(value, &p->chip) || p->chip == OTA_CHIP_ANY) {
            return OTA_ERR_DEVICE_PROPS;
        }
        p->chip_known = true;
    } else if (strcmp(key, "BOOTLOADER_APP_ROLLBACK_ENABLE") == 0) {
        if (strcmp(value, "y") != 0 && strcmp(value, "n") != 0) {
            return OTA_ERR_DEVICE_PROPS;
        }
        p->rollback = value[0] == 'y';
    } else {
        return OTA_ERR_DEVICE_PROPS;
    }
    return OTA_OK;
}

int ota_host_props_load(const char *image_path, struct ota_device_props *p)
{
    memset(p, 0, sizeof(*p));
    p->chip = OTA_CHIP_ESP32;
    return ota_host_side_load(image_path, ".device", OTA_ERR_DEVICE_PROPS, on_prop, p);
}

int ota_host_props_save(const char *image_path, const struct ota_device_props *p)
{
    char text[OTA_HOST_SIDE_MAX];
    int n = snprintf(text, sizeof(text), "# Properties of this emulated device (kept once set)\n");
    if (p->chip_known) {
        n += snprintf(text + n, sizeof(text) - (size_t)n, "CONFIG_IDF_TARGET=\"%s\"\n", ota_host_chip_name(p->chip));
    }
    n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\n",
                  p->rollback ? "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y"
                              : "# CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is not set");
    return ota_host_side_save(image_path, ".device", text, (size_t)n, OTA_ERR_DEVICE_PROPS);
}
