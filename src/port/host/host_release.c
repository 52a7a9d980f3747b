/* The emulated device's release record (see include/ota/host_release.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/error.h"
#include "ota/hex.h"
#include "ota/host_device.h"
#include "ota/host_release.h"
#include "ota/sdkconfig.h"

#define SUFFIX ".manifest"

enum { KEY_SERIAL, KEY_RB_SERIAL, KEY_RB_SHA, KEY_COUNT };
static const char *const KEYS[KEY_COUNT] = {"MANIFEST_SERIAL", "MANIFEST_ROLLED_BACK_SERIAL",
                                            "MANIFEST_ROLLED_BACK_SHA256"};

struct record_parse {
    struct ota_release_record *rec;
    unsigned seen;
};

static int parse_u32(const char *value, uint32_t *out)
{
    uint64_t v = 0;
    if (!value[0] || (value[0] == '0' && value[1]) || strlen(value) > 10) {
        return OTA_ERR_RELEASE_RECORD;
    }
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9') {
            return OTA_ERR_RELEASE_RECORD;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX) {
        return OTA_ERR_RELEASE_RECORD;
    }
    *out = (uint32_t)v;
    return OTA_OK;
}

static int parse_sha(const char *value, uint8_t out[OTA_SHA256_LEN])
{
    if (strcmp(value, "none") == 0) {
        memset(out, 0, OTA_SHA256_LEN);
        return OTA_OK;
    }
    bool whole = strlen(value) == 2 * OTA_SHA256_LEN && ota_hex_decode(value, out, OTA_SHA256_LEN, false);
    return whole ? OTA_OK : OTA_ERR_RELEASE_RECORD;
}

static int on_key(void *ctx, const char *key, const char *value)
{
    struct record_parse *p = ctx;
    for (unsigned k = 0; k < KEY_COUNT; k++) {
        if (strcmp(key, KEYS[k]) != 0) {
            continue;
        }
        if (p->seen & (1u << k)) {
            return OTA_ERR_RELEASE_RECORD;  /* twice: which one would be the truth? */
        }
        p->seen |= 1u << k;
        return k == KEY_SERIAL ? parse_u32(value, &p->rec->serial)
             : k == KEY_RB_SERIAL ? parse_u32(value, &p->rec->rolled_back_serial)
             : parse_sha(value, p->rec->rolled_back_sha256);
    }
    return OTA_ERR_RELEASE_RECORD;
}

int ota_host_release_record_parse(const char *text, size_t len, struct ota_release_record *rec)
{
    struct record_parse p = {rec, 0};
    memset(rec, 0, sizeof(*rec));
    if (len == 0 || len >= OTA_HOST_SIDE_MAX || text[len - 1] != '\n' || memchr(text, '\0', len)) {
        return OTA_ERR_RELEASE_RECORD;  /* empty, oversized, or its last line cut */
    }
    if (ota_sdkconfig_parse(text, len, on_key, &p, NULL) || p.seen != (1u << KEY_COUNT) - 1u) {
        memset(rec, 0, sizeof(*rec));
        return OTA_ERR_RELEASE_RECORD;
    }
    return OTA_OK;
}

int ota_host_release_load(const char *image_path, struct ota_release_record *rec)
{
    char text[OTA_HOST_SIDE_MAX];
    size_t len;
    bool missing;
    memset(rec, 0, sizeof(*rec));
    char *path = ota_host_side_path(image_path, SUFFIX);
    if (!path) {
        return OTA_ERR_RELEASE_RECORD;
    }
    int err = ota_host_side_read(path, text, sizeof(text), &len, &missing, OTA_ERR_RELEASE_RECORD);
    free(path);
    if (err || missing) {
        return err;  /* missing: created at the first accepted manifest */
    }
    return ota_host_release_record_parse(text, len, rec);
}

int ota_host_release_save(const char *image_path, const struct ota_release_record *rec)
{
    struct ota_release_record kept;
    char text[OTA_HOST_SIDE_MAX], sha[2 * OTA_SHA256_LEN + 1] = "none";
    int err = ota_host_release_load(image_path, &kept);
    if (err) {
        return err;
    }
    bool any = false;
    for (unsigned i = 0; i < OTA_SHA256_LEN; i++) {
        any |= rec->rolled_back_sha256[i] != 0;
    }
    for (unsigned i = 0; any && i < OTA_SHA256_LEN; i++) {
        snprintf(sha + 2 * i, 3, "%02x", rec->rolled_back_sha256[i]);
    }
    int n = snprintf(text, sizeof(text),
                     "# The release record of this device: the highest manifest serial it accepted (never\n"
                     "# decreases) and the release whose app failed its trial boot here (skipped from then on)\n"
                     "CONFIG_MANIFEST_SERIAL=%u\nCONFIG_MANIFEST_ROLLED_BACK_SERIAL=%u\n"
                     "CONFIG_MANIFEST_ROLLED_BACK_SHA256=%s\n",
                     (unsigned)(rec->serial > kept.serial ? rec->serial : kept.serial),
                     (unsigned)rec->rolled_back_serial, sha);
    return ota_host_side_save(image_path, SUFFIX, text, (size_t)n, OTA_ERR_RELEASE_RECORD);
}

static int store_load(void *ctx, struct ota_release_record *rec)
{
    return ota_host_release_load(ctx, rec);
}

static int store_save(void *ctx, const struct ota_release_record *rec)
{
    return ota_host_release_save(ctx, rec);
}

void ota_host_release_store(struct ota_release_store *store, const char *image_path)
{
    store->load = store_load;
    store->save = store_save;
    store->ctx = (void *)image_path;
}
