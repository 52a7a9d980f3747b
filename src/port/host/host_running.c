/* IMAGE.running: the app the last power-on booted (see include/ota/host_running.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota/error.h"
#include "ota/hash.h"
#include "ota/hex.h"
#include "ota/host_device.h"
#include "ota/host_file.h"
#include "ota/host_running.h"

static const char *const keys[3] = {"running_app_offset=", "running_app_length=", "running_app_sha256="};

/* "0x" and 1..8 hex digits. */
static bool parse_offset(const char *v, uint32_t *out)
{
    uint32_t x = 0;
    size_t n = strlen(v);
    if (n < 3 || n > 10 || v[0] != '0' || v[1] != 'x') {
        return false;
    }
    for (v += 2; *v; v++) {
        int d = ota_hex_digit(*v, false);
        if (d < 0) {
            return false;
        }
        x = x << 4 | (uint32_t)d;
    }
    *out = x;
    return true;
}

static bool parse_value(unsigned i, const char *v, struct ota_host_running *r)
{
    switch (i) {
    case 0: return parse_offset(v, &r->offset);
    case 1: return ota_host_u32_parse(v, &r->length) && r->length > 0;
    default: return ota_host_hex32_parse(v, r->sha256);
    }
}

int ota_host_running_parse(const char *text, size_t len, struct ota_host_running *r)
{
    char line[96];
    size_t pos = 0;
    memset(r, 0, sizeof(*r));
    for (unsigned i = 0; i < 3; i++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        size_t k = strlen(keys[i]);
        if (n >= sizeof(line) || n < k || memcmp(text + pos, keys[i], k) != 0 || memchr(text + pos, '\0', n)) {
            return OTA_ERR_CONFIG_SYNTAX;
        }
        memcpy(line, text + pos + k, n - k);
        line[n - k] = '\0';
        if (!parse_value(i, line, r)) {
            memset(r, 0, sizeof(*r));
            return OTA_ERR_CONFIG_SYNTAX;
        }
        pos += n + (nl != NULL);
    }
    return pos == len ? OTA_OK : OTA_ERR_CONFIG_SYNTAX;  /* nothing after the three lines */
}

int ota_host_running_load(const char *image, struct ota_host_running *r)
{
    char text[OTA_HOST_SIDE_MAX];
    size_t len;
    bool missing;
    char *path = ota_host_side_path(image, ".running");
    if (!path) {
        return OTA_ERR_IO;
    }
    int err = ota_host_side_read(path, text, sizeof(text), &len, &missing, OTA_ERR_IO);
    free(path);
    if (err || missing) {
        return err ? err : OTA_ERR_NOT_FOUND;
    }
    return ota_host_running_parse(text, len, r);
}

int ota_host_running_save(const char *image, const struct ota_host_running *r)
{
    char text[256];
    int n = snprintf(text, sizeof(text), "%s0x%x\n%s%u\n%s", keys[0], (unsigned)r->offset, keys[1],
                     (unsigned)r->length, keys[2]);
    for (int i = 0; i < 32; i++) {
        n += snprintf(text + n, sizeof(text) - (size_t)n, "%02x", r->sha256[i]);
    }
    n += snprintf(text + n, sizeof(text) - (size_t)n, "\n");
    char *path = ota_host_side_path(image, ".running");
    if (!path) {
        return OTA_ERR_IO;
    }
    int err = ota_host_write_file(path, text, (size_t)n);
    free(path);
    return err;
}

int ota_host_running_forget(const char *image)
{
    char *path = ota_host_side_path(image, ".running");
    if (!path) {
        return OTA_ERR_IO;
    }
    int rc = unlink(path);
    int e = errno;
    free(path);
    return rc == 0 || e == ENOENT ? OTA_OK : OTA_ERR_IO;
}

int ota_host_running_measure(const struct ota_flash *f, uint32_t offset, uint32_t length, struct ota_host_running *r)
{
    uint8_t buf[4096];
    ota_sha256_ctx h;
    ota_sha256_init(&h);
    memset(r, 0, sizeof(*r));
    for (uint32_t done = 0; done < length;) {
        uint32_t n = length - done < sizeof(buf) ? length - done : (uint32_t)sizeof(buf);
        int err = offset > UINT32_MAX - done ? OTA_ERR_OUT_OF_BOUNDS : ota_flash_read(f, offset + done, buf, n);
        if (err) {
            return err;
        }
        ota_sha256_update(&h, buf, n);
        done += n;
    }
    ota_sha256_finish(&h, r->sha256);
    r->offset = offset;
    r->length = length;
    return OTA_OK;
}

bool ota_host_running_still_there(const struct ota_flash *f, const struct ota_host_running *r)
{
    struct ota_host_running now;
    return ota_host_running_measure(f, r->offset, r->length, &now) == OTA_OK &&
           memcmp(now.sha256, r->sha256, sizeof(now.sha256)) == 0;
}
