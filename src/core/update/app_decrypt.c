/* The app update's decrypt layer: encrypted bytes in, the plain image out to
 * the writer (ota/decrypt.h). Nothing is selected before the tag verifies. */
#ifndef OTA_NO_DECRYPT
#include <string.h>

#include "app_internal.h"
#include "ota/error.h"
#include "ota/log.h"

static const char *TAG = "OTA_DECRYPT";

bool ota_app_decrypt_claims(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->state != OTA_DECRYPT_OFF) {
        return true;
    }
    if (!len || p[0] != OTA_ESP_ENC_MAGIC0 || u->head_len || u->pw.fed || u->pw.pos) {
        return false;  /* a plain image (0xe9), or not at its first byte */
    }
    ota_app_decrypt_stop(u);
    d->state = OTA_DECRYPT_HEADER;
    d->hdr_len = 0;
    d->taken = 0;
    ota_sha256_init(&d->sha);
    d->announced = u->pw.total;
    return true;
}

void ota_app_decrypt_stop(struct ota_app_update *u)
{
    if (u->dec.gcm_open) {
        ota_gcm_free(&u->dec.gcm);
        u->dec.gcm_open = false;
    }
}

static const char *scheme_name(const struct ota_crypto_key *key)
{
    return ota_crypto_key_kind(key) == OTA_KEY_RSA3072 ? "RSA-3072" : "ECC-256";
}

/* The header is whole: check it against the source, open the key, and
 * point the writer at the plain image (no journal: GCM cannot resume). */
static int open_header(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    const struct ota_crypto_key *key = u->dev->decrypt_key;
    struct ota_esp_enc_header h;
    uint8_t image_key[32];
    int err;
    if (!key) {
        OTA_LOGE(TAG, "encrypted image, and no decryption key on this device");
        return OTA_ERR_DECRYPT_NO_KEY;
    }
    if ((err = ota_esp_enc_parse_header(d->buf, &h))) {
        OTA_LOGE(TAG, "encrypted image header malformed: nothing written");
        return err;
    }
    if (d->announced != OTA_LENGTH_UNKNOWN && d->announced != (int64_t)OTA_ESP_ENC_HEADER_LEN + h.length) {
        OTA_LOGE(TAG, "source of %lld bytes, header says 512 + %u: nothing written", (long long)d->announced,
                 (unsigned)h.length);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    u->pw.journal_loaded = false;
    if ((err = ota_app_set_source(u, h.length, NULL)) < 0) {
        return err;
    }
    d->state = OTA_DECRYPT_BODY;
    d->body_len = h.length;
    memcpy(d->tag, h.tag, sizeof(d->tag));
    err = ota_esp_enc_image_key(key, &h, image_key);
    if (!err && !(err = ota_gcm_decrypt_begin(&d->gcm, image_key, h.iv, sizeof(h.iv), NULL, 0))) {
        d->gcm_open = true;
    }
    memset(image_key, 0, sizeof(image_key));
    if (err) {
        OTA_LOGE(TAG, "image key not opened with the device's %s key: %s", scheme_name(key), ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "esp_encrypted_img, %s, %u bytes: selected only once its tag verifies", scheme_name(key),
             (unsigned)h.length);
    return OTA_OK;
}

static int decrypt_body(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->taken + len > (uint64_t)OTA_ESP_ENC_HEADER_LEN + d->body_len) {
        OTA_LOGE(TAG, "bytes after the %u the header announces", (unsigned)d->body_len);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    while (len) {
        size_t n = len < sizeof(d->buf) ? len : sizeof(d->buf);
        int err = ota_gcm_decrypt_update(&d->gcm, p, d->buf, n);
        if (err || (err = ota_app_push_plain(u, d->buf, n))) {
            return err;
        }
        ota_sha256_update(&d->sha, p, n);
        d->taken += n;
        if (d->taken == (uint64_t)OTA_ESP_ENC_HEADER_LEN + d->body_len) {
            ota_sha256_finish(&d->sha, d->digest);
        }
        p += n;
        len -= n;
    }
    return OTA_OK;
}

int ota_app_decrypt_write(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    while (len && d->state == OTA_DECRYPT_HEADER) {
        size_t k = OTA_ESP_ENC_HEADER_LEN - d->hdr_len < len ? OTA_ESP_ENC_HEADER_LEN - d->hdr_len : len;
        memcpy(d->buf + d->hdr_len, p, k);
        ota_sha256_update(&d->sha, p, k);
        d->hdr_len += (uint32_t)k;
        d->taken += k;
        p += k;
        len -= k;
        int err = d->hdr_len == OTA_ESP_ENC_HEADER_LEN ? open_header(u) : OTA_OK;
        if (err) {
            return err;
        }
    }
    return len ? decrypt_body(u, p, len) : OTA_OK;
}

int ota_app_decrypt_seek(struct ota_app_update *u, uint64_t off)
{
    struct ota_decrypt *d = &u->dec;
    if (off == d->taken) {
        return OTA_OK;  /* a reconnection that continues where the stream stopped */
    }
    if (off != 0) {
        OTA_LOGE(TAG, "continues at %llu or from 0, not at %llu", (unsigned long long)d->taken,
                 (unsigned long long)off);
        return OTA_ERR_INVALID_ARG;
    }
    /* from byte 0: the layer and the writer start over */
    int err = ota_app_set_source(u, d->announced, NULL);
    return err < 0 ? err : OTA_OK;
}

const uint8_t *ota_app_encrypted_digest(const struct ota_app_update *u)
{
    const struct ota_decrypt *d = &u->dec;
    bool whole = d->state == OTA_DECRYPT_BODY && d->taken == (uint64_t)OTA_ESP_ENC_HEADER_LEN + d->body_len;
    return whole ? d->digest : NULL;
}

int ota_app_decrypt_finish(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    uint64_t want = (uint64_t)OTA_ESP_ENC_HEADER_LEN + d->body_len;
    int err;
    if (d->state != OTA_DECRYPT_BODY || d->taken != want) {
        OTA_LOGE(TAG, "cut short after %llu bytes: nothing selected", (unsigned long long)d->taken);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    err = ota_gcm_decrypt_finish(&d->gcm, d->tag);
    ota_app_decrypt_stop(u);
    if (err) {
        OTA_LOGE(TAG, "GCM tag: %s: nothing selected", ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "GCM tag verified");
    return OTA_OK;
}
#else
#include "ota/update.h"

const uint8_t *ota_app_encrypted_digest(const struct ota_app_update *u)
{
    (void)u;
    return NULL;  /* without the layer no image is taken encrypted */
}
#endif
