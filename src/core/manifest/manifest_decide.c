/*
 * What a device does with a parsed manifest: check the signature, refuse a
 * replay or a release for another product, then, within the rollout,
 * list the items this device can apply smallest first (a patch made for
 * the running app, the compressed image, the plain image).
 */
#include <string.h>

#include "ota/error.h"
#include "ota/image.h"
#include "ota/manifest.h"
#include "ota/signature.h"

/* The signed bytes are the manifest followed by 0xFF up to the signature
 * sector, exactly as for an image: the signer and verifier of images serve. */
struct signed_view {
    const uint8_t *text;
    size_t len;
    uint32_t sector;
    const uint8_t *sig;
};

static int view_read(void *ctx, uint32_t off, void *buf, uint32_t n)
{
    const struct signed_view *v = ctx;
    uint8_t *out = buf;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = off + i;
        if (at < v->len) {
            out[i] = v->text[at];
        } else if (at < v->sector) {
            out[i] = 0xFF;
        } else if (at - v->sector < OTA_SIG_SECTOR_LEN) {
            out[i] = v->sig[at - v->sector];
        } else {
            return OTA_ERR_OUT_OF_BOUNDS;
        }
    }
    return OTA_OK;
}

int ota_manifest_verify(const uint8_t *text, size_t len, const uint8_t *sig,
                        const uint8_t trusted_key_digest[OTA_SHA256_LEN], struct ota_sig_result *work, int *why)
{
    if (!text || !sig || !trusted_key_digest || !work || len > OTA_MANIFEST_MAX_LEN) {
        return OTA_ERR_INVALID_ARG;
    }
    struct signed_view v = {text, len, ota_sig_sector_offset((uint32_t)len), sig};
    /* The text is ASCII: a trailing 0xFF is padding someone appended, which
     * the signed view could not tell from the signer's own. */
    int err = len && text[len - 1] == 0xFF ? OTA_ERR_SIG_DIGEST
                                           : ota_sig_verify(view_read, &v, (uint32_t)len, trusted_key_digest, work);
    if (why) {
        *why = err;
    }
    return err ? OTA_ERR_MANIFEST_SIGNATURE : OTA_OK;
}

bool ota_manifest_chip_id(const char *name, uint16_t *chip)
{
    static const struct { const char *name; uint16_t id; } chips[] = {
        {"esp32", OTA_CHIP_ESP32}, {"esp32s2", OTA_CHIP_ESP32S2},
        {"esp32s3", OTA_CHIP_ESP32S3}, {"esp32c3", OTA_CHIP_ESP32C3},
    };
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        if (strcmp(name, chips[i].name) == 0) {
            *chip = chips[i].id;
            return true;
        }
    }
    return false;
}

/* SHA-256 of "project/version/device_id": stable for one device and one
 * release, independent between releases (a device is not always first). */
unsigned ota_manifest_bucket(const struct ota_manifest *m, const char *device_id)
{
    ota_sha256_ctx sha;
    uint8_t h[OTA_SHA256_LEN];
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, m->project, strlen(m->project));
    ota_sha256_update(&sha, "/", 1);
    ota_sha256_update(&sha, m->version, strlen(m->version));
    ota_sha256_update(&sha, "/", 1);
    ota_sha256_update(&sha, device_id ? device_id : "", device_id ? strlen(device_id) : 0);
    ota_sha256_finish(&sha, h);
    uint32_t x = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    return (unsigned)(x % 100u);
}

const char *ota_manifest_kind_name(unsigned kind)
{
    return kind == OTA_MANIFEST_KIND_PATCH ? "patch" : kind == OTA_MANIFEST_KIND_COMPRESSED ? "compressed image"
                                                                                          : "full image";
}

enum ota_manifest_action ota_manifest_install_action(const struct ota_manifest_file *f)
{
    return f->kind == OTA_MANIFEST_KIND_PATCH        ? OTA_MANIFEST_INSTALL_PATCH
           : f->kind == OTA_MANIFEST_KIND_COMPRESSED ? OTA_MANIFEST_INSTALL_COMPRESSED
                                                     : OTA_MANIFEST_INSTALL_FULL;
}

/* Add f to the candidates, kept smallest first (an equal size keeps the
 * order given: patch, compressed, plain), when the device can apply it. */
static void consider(struct ota_manifest_decision *d, const struct ota_manifest_file *f, unsigned takes, unsigned need)
{
    if (!f->size || (takes & need) != need || (f->encrypted && !(takes & OTA_MANIFEST_TAKES_ENCRYPTED))) {
        return;
    }
    unsigned i = d->candidate_count++;
    for (; i > 0 && d->candidates[i - 1]->size > f->size; i--) {
        d->candidates[i] = d->candidates[i - 1];
    }
    d->candidates[i] = f;
}

static void collect_candidates(const struct ota_manifest *m, const struct ota_device_view *dev,
                               struct ota_manifest_decision *d)
{
    for (unsigned i = 0; i < m->patch_count; i++) {
        if (memcmp(m->patches[i].base_app_sha256, dev->running_app_sha256, OTA_SHA256_LEN) == 0) {
            d->patch = &m->patches[i];
            consider(d, &d->patch->file, dev->takes, OTA_MANIFEST_TAKES_PATCH);
            break;
        }
    }
    consider(d, &m->compressed, dev->takes, OTA_MANIFEST_TAKES_COMPRESSED);
    consider(d, &m->image, dev->takes, 0);
}

int ota_manifest_decide(const struct ota_manifest *m, const struct ota_device_view *dev,
                        struct ota_manifest_decision *d)
{
    uint16_t chip;
    if (!m || !dev || !d) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(d, 0, sizeof(*d));
    if (m->serial < dev->last_serial) {
        return OTA_ERR_MANIFEST_REPLAY;
    }
    if (!dev->project || !dev->project[0] || !m->project[0] || strcmp(dev->project, m->project) != 0) {
        return OTA_ERR_MANIFEST_PROJECT;  /* no name is no match: never "any project" */
    }
    if (!ota_manifest_chip_id(m->chip, &chip) || (dev->chip_id != OTA_CHIP_ANY && chip != dev->chip_id)) {
        return OTA_ERR_MANIFEST_CHIP;
    }
    d->bucket = ota_manifest_bucket(m, dev->device_id);
    if (memcmp(dev->running_app_sha256, m->app_sha256, OTA_SHA256_LEN) == 0) {
        d->action = OTA_MANIFEST_UP_TO_DATE;
        return OTA_OK;
    }
    if (dev->rolled_back_app_sha256 && memcmp(dev->rolled_back_app_sha256, m->app_sha256, OTA_SHA256_LEN) == 0) {
        d->action = OTA_MANIFEST_ROLLED_BACK;
        return OTA_OK;
    }
    if (d->bucket >= m->rollout_percent) {
        d->action = OTA_MANIFEST_HELD_BACK;
        return OTA_OK;
    }
    collect_candidates(m, dev, d);
    if (!d->candidate_count) {
        return OTA_ERR_MANIFEST_NO_ITEM;
    }
    d->action = ota_manifest_install_action(d->candidates[0]);
    return OTA_OK;
}

/* "scheme://..." (a '/', '?' or '#' before "://" means a relative path). */
static bool has_scheme(const char *ref)
{
    for (size_t i = 0; ref[i] && ref[i] != '/' && ref[i] != '?' && ref[i] != '#'; i++) {
        if (ref[i] == ':' && ref[i + 1] == '/' && ref[i + 2] == '/') {
            return i > 0;
        }
    }
    return false;
}

int ota_manifest_resolve(const char *manifest_uri, const char *ref, char *out, size_t out_len)
{
    size_t base = 0, rlen = strlen(ref);
    if (!has_scheme(ref)) {
        /* up to and with the path's last '/': a presigned query may hold '/' too */
        for (size_t i = 0; manifest_uri[i] && manifest_uri[i] != '?' && manifest_uri[i] != '#'; i++) {
            if (manifest_uri[i] == '/') {
                base = i + 1;
            }
        }
    }
    if (base + rlen + 1 > out_len) {
        return OTA_ERR_TOO_LONG;
    }
    memcpy(out, manifest_uri, base);
    memcpy(out + base, ref, rlen + 1);
    return OTA_OK;
}
