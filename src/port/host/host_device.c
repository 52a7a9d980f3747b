/* Side files of an emulated device: located by the image's real path,
 * read whole and bounded, written whole or not at all; the device
 * properties file (see include/ota/host_device.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/hex.h"
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

static const uint16_t default_revs[][2] = {
    {OTA_CHIP_ESP32, 300}, {OTA_CHIP_ESP32S2, 100}, {OTA_CHIP_ESP32S3, 2}, {OTA_CHIP_ESP32C3, 4},
};

uint16_t ota_host_chip_default_rev(uint16_t chip)
{
    for (size_t i = 0; i < sizeof(default_revs) / sizeof(default_revs[0]); i++) {
        if (default_revs[i][0] == chip) {
            return default_revs[i][1];
        }
    }
    return 0;
}

uint16_t ota_host_props_chip_rev(const struct ota_device_props *p)
{
    return p->chip_rev_known ? p->chip_rev : ota_host_chip_default_rev(p->chip);
}

/* Digits only, at most `max`, no sign, no spaces. */
static bool parse_number(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 3) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return v <= max;
}

bool ota_host_chip_rev_parse(const char *s, uint16_t *rev)
{
    unsigned major, minor;
    s += *s == 'v';
    const char *dot = strchr(s, '.');
    if (!dot || !parse_number(s, (size_t)(dot - s), 655, &major) || !parse_number(dot + 1, strlen(dot + 1), 99, &minor) ||
        major * 100 + minor >= OTA_CHIP_REV_ANY) {
        return false;  /* the largest header value means "unchecked", never a revision */
    }
    *rev = (uint16_t)(major * 100 + minor);
    return true;
}

bool ota_host_hex32_parse(const char *hex, uint8_t out[32])
{
    return strlen(hex) == 64 && ota_hex_decode(hex, out, 32, true);
}

bool ota_host_u32_parse(const char *v, uint32_t *out)
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

static bool parse_yes_no(const char *value, bool *out)
{
    if (strcmp(value, "y") != 0 && strcmp(value, "n") != 0) {
        return false;
    }
    *out = value[0] == 'y';
    return true;
}

/* What the eFuses were burned to (the floor their own record must reach). */
static bool on_burned(struct ota_device_props *p, const char *key, const char *value)
{
    if (strcmp(key, "SECURE_BOOT_V2_ENABLED") == 0) {
        return parse_yes_no(value, &p->burned.key_burned);
    }
    if (strcmp(key, "SECURE_BOOT_KEY_DIGEST") == 0) {
        return ota_host_hex32_parse(value, p->burned.key_digest);
    }
    return strcmp(key, "SECURE_VERSION_BURNED") == 0 && ota_host_u32_parse(value, &p->burned.secure_version);
}

/* Every line must be one of ours with a value it can mean. */
static int on_prop(void *ctx, const char *key, const char *value)
{
    struct ota_device_props *p = ctx;
    bool ok;
    if (strcmp(key, "IDF_TARGET") == 0) {
        ok = ota_host_chip_from_name(value, &p->chip) && p->chip != OTA_CHIP_ANY;
        p->chip_known = true;
    } else if (strcmp(key, "BOOTLOADER_APP_ROLLBACK_ENABLE") == 0) {
        ok = parse_yes_no(value, &p->rollback);
    } else if (strcmp(key, "CHIP_REVISION") == 0) {
        ok = ota_host_chip_rev_parse(value, &p->chip_rev);
        p->chip_rev_known = true;
    } else {
        ok = on_burned(p, key, value);
    }
    return ok ? OTA_OK : OTA_ERR_DEVICE_PROPS;
}

static void props_default(struct ota_device_props *p)
{
    memset(p, 0, sizeof(*p));
    p->chip = OTA_CHIP_ESP32;
}

/* A digest without "enabled" (or the reverse) is half a record: refused. */
static int props_check(struct ota_device_props *p, int err)
{
    static const uint8_t none[32];
    bool has_digest = memcmp(p->burned.key_digest, none, sizeof(none)) != 0;
    if (err || p->burned.key_burned != has_digest) {
        props_default(p);
        return OTA_ERR_DEVICE_PROPS;
    }
    return OTA_OK;
}

int ota_host_props_parse(const char *text, size_t len, struct ota_device_props *p)
{
    props_default(p);
    return props_check(p, ota_sdkconfig_parse(text, len, on_prop, p, NULL) ? OTA_ERR_DEVICE_PROPS : OTA_OK);
}

int ota_host_props_load(const char *image_path, struct ota_device_props *p)
{
    props_default(p);
    return props_check(p, ota_host_side_load(image_path, ".device", OTA_ERR_DEVICE_PROPS, on_prop, p));
}

/* Bounded formatting into a side file's text. */
static int addf(char *text, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int addf(char *text, int n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(text + n, OTA_HOST_SIDE_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return k < 0 || n + k >= OTA_HOST_SIDE_MAX ? OTA_HOST_SIDE_MAX - 1 : n + k;
}

int ota_host_props_save(const char *image_path, const struct ota_device_props *p)
{
    char text[OTA_HOST_SIDE_MAX];
    int n = addf(text, 0, "# Properties of this emulated device (kept once set)\n");
    if (p->chip_known) {
        n = addf(text, n, "CONFIG_IDF_TARGET=\"%s\"\n", ota_host_chip_name(p->chip));
    }
    n = addf(text, n, "%s\n",
             p->rollback ? "CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y" : "# CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is not set");
    if (p->chip_rev_known) {
        n = addf(text, n, "CONFIG_CHIP_REVISION=\"v%u.%u\"\n", p->chip_rev / 100u, p->chip_rev % 100u);
    }
    if (p->burned.key_burned) {
        n = addf(text, n, "CONFIG_SECURE_BOOT_V2_ENABLED=y\nCONFIG_SECURE_BOOT_KEY_DIGEST=\"");
        for (int i = 0; i < 32; i++) {
            n = addf(text, n, "%02x", p->burned.key_digest[i]);
        }
        n = addf(text, n, "\"\n");
    }
    if (p->burned.secure_version) {
        n = addf(text, n, "CONFIG_SECURE_VERSION_BURNED=%u\n", (unsigned)p->burned.secure_version);
    }
    return ota_host_side_save(image_path, ".device", text, (size_t)n, OTA_ERR_DEVICE_PROPS);
}
