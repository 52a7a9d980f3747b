/* The app update's decrypt layer: encrypted bytes in, the plain image out to
 * the writer (ota/decrypt.h). Nothing is selected before the tag verifies. */
#ifndef OTA_NO_DECRYPT
#include <string.h>

#include "app_internal.h"
#include "ota/error.h"
#include "ota/journal.h"
#include "ota/log.h"

static const char *TAG = "OTA_DECRYPT";

bool ota_app_decrypt_claims(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->state != OTA_DECRYPT_OFF) {
        return true;
    }
    if (!len || (p[0] != OTA_ESP_ENC_MAGIC0 && p[0] != OTA_CHUNKED_MAGIC0) || u->head_len || u->pw.fed ||
        u->pw.pos) {
        return false;  /* a plain image (0xe9), or not at its first byte */
    }
    ota_app_decrypt_stop(u);
    d->state = OTA_DECRYPT_HEADER;
    d->format = p[0] == OTA_CHUNKED_MAGIC0 ? OTA_DECRYPT_CHUNKED : OTA_DECRYPT_ESP;
    d->work = u->dev->decrypt_work;
    d->hdr_len = 0;
    d->taken = 0;
    ota_sha256_init(&d->sha);
    d->announced = u->pw.total;
    d->form = OTA_FORM_UNTOLD;
    d->form_len = 0;
    d->keep_header = false;
    return true;
}

void ota_app_decrypt_stop(struct ota_app_update *u)
{
    if (u->dec.gcm_open) {
        ota_gcm_free(&u->dec.gcm);
        u->dec.gcm_open = false;
    }
    memset(u->dec.key, 0, sizeof(u->dec.key));
}

static const char *scheme_name(const struct ota_crypto_key *key)
{
    return ota_crypto_key_kind(key) == OTA_KEY_RSA3072 ? "RSA-3072" : "ECC-256";
}

/* The writer takes the plain image from here: its length, no journal. */
static int point_writer(struct ota_app_update *u, uint32_t plain_len, uint64_t file_len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->announced != OTA_LENGTH_UNKNOWN && (uint64_t)d->announced != file_len) {
        OTA_LOGE(TAG, "source of %lld bytes, the header says %llu: nothing written", (long long)d->announced,
                 (unsigned long long)file_len);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    bool loaded = u->pw.journal_loaded;
    char validator[OTA_VALIDATOR_LEN + 1];
    memcpy(validator, u->pw.validator, sizeof(validator));
    u->pw.journal_loaded = false;  /* no record for the plain image (a chunked one keeps its own) */
    int err = ota_app_set_source(u, plain_len, validator);
    u->pw.journal_loaded = loaded;
    if (err < 0) {
        return err;
    }
    d->state = OTA_DECRYPT_BODY;
    d->body_len = plain_len;
    d->file_len = file_len;
    return OTA_OK;
}

/* The chunk geometry, nonce prefix, digests of a chunked header in d->buf. */
static void chunked_state(struct ota_decrypt *d, const struct ota_chunked_header *h)
{
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, d->buf, OTA_CHUNKED_HEADER_LEN);
    ota_sha256_finish(&sha, d->hdr_digest);
    memcpy(d->nonce_prefix, h->nonce_prefix, sizeof(d->nonce_prefix));
    d->chunk_len = h->chunk_len;
    d->chunks = ota_chunked_count(h);
    d->index = 0;
    d->fill = 0;
}

/* Where a journaled chunked transfer keeps its header: the slot's last
 * sector below the journal (the image then ends before it). */
static uint32_t stash_addr(const struct ota_partition *t)
{
    return t->offset + ota_journal_data_capacity(t) - OTA_FLASH_SECTOR_SIZE;
}

static uint8_t log2_of(uint32_t chunk_len)
{
    uint8_t n = 0;
    while ((1u << n) < chunk_len) {
        n++;
    }
    return n;
}

/* A transfer with a journal keeps its header (public bytes, authenticated
 * again on a resume) so a power cut resumes at a chunk boundary; with its
 * first authenticated chunk, before the writer's first byte. Every record
 * is retired first: none may pair with this header but ours. */
static int keep_header(struct ota_app_update *u)
{
    const struct ota_partition *t = u->opt.target;
    uint32_t cap = ota_journal_data_capacity(t);
    struct ota_chunked_header hh, *h = &hh;
    char validator[OTA_VALIDATOR_LEN + 1];
    int err = ota_chunked_parse_header(u->dec.buf, h);
    u->dec.keep_header = false;
    memcpy(validator, u->pw.validator, sizeof(validator));
    if (err || cap < 2 * OTA_FLASH_SECTOR_SIZE || h->length > cap - OTA_FLASH_SECTOR_SIZE || !validator[0]) {
        return OTA_OK;  /* no room, or no validator for an If-Range request: from byte 0 after a cut */
    }
    if ((err = ota_journal_retire(u->dev->flash, t)) ||
        (err = ota_flash_erase(u->dev->flash, stash_addr(t), OTA_FLASH_SECTOR_SIZE)) ||
        (err = ota_flash_program(u->dev->flash, stash_addr(t), u->dec.buf, OTA_CHUNKED_HEADER_LEN))) {
        return err;
    }
    ota_pw_reset(&u->pw, h->length, validator);
    u->pw.journaled = true;
    u->pw.journal_chunk_log2 = log2_of(h->chunk_len);
    ota_app_set_limit(u, cap - OTA_FLASH_SECTOR_SIZE);
    return OTA_OK;
}

static int open_chunked(struct ota_app_update *u, const struct ota_crypto_key *key)
{
    struct ota_decrypt *d = &u->dec;
    struct ota_chunked_header h;
    bool journal = u->pw.journal_loaded;
    int err;
    if (!d->work) {
        OTA_LOGE(TAG, "chunked encrypted image, and no chunk work area on this device");
        return OTA_ERR_NO_MEM;
    }
    if ((err = ota_chunked_parse_header(d->buf, &h))) {
        OTA_LOGE(TAG, "chunked header malformed (magic, version, wrap, chunk size or reserved bytes)");
        return err;
    }
    /* the writer first: pointing it stops the layer's crypto state (the key) */
    if ((err = point_writer(u, h.length, ota_chunked_file_len(&h))) ||
        (err = ota_chunked_open(key, d->buf, &h, d->key))) {
        OTA_LOGE(TAG, "chunked header: %s: nothing written", ota_strerror(err));
        return err;
    }
    chunked_state(d, &h);
    d->keep_header = journal;
    OTA_LOGI(TAG, "chunked encrypted image v%u, %s, %u bytes in %u chunks: each written once its tag verifies",
             h.version, h.wrap == OTA_WRAP_RSA_OAEP_3072 ? "RSA-OAEP-3072" : "ECIES P-256", (unsigned)h.length,
             (unsigned)d->chunks);
    return OTA_OK;
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
    if (d->format == OTA_DECRYPT_CHUNKED) {
        return open_chunked(u, key);
    }
    if ((err = ota_esp_enc_parse_header(d->buf, &h))) {
        OTA_LOGE(TAG, "encrypted image header malformed: nothing written");
        return err;
    }
    if ((err = point_writer(u, h.length, (uint64_t)OTA_ESP_ENC_HEADER_LEN + h.length))) {
        return err;
    }
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

/* ---- the payload inside: an image, or a patch / compressed image ------------ */

static int read_running(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct ota_app_update *u = ctx;
    return ota_flash_read(u->dev->flash, u->dev->running->offset + off, buf, len);
}

/* A compressed image's history: what the writer has taken (its first bytes
 * wait in RAM until the head checks pass). */
static int read_written(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct ota_app_update *u = ctx;
    if (!u->head_checked) {
        if ((uint64_t)off + len > u->head_len) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        memcpy(buf, u->head + off, len);
        return OTA_OK;
    }
    return ota_pw_read_image(&u->pw, off, buf, len);
}

static int applier_out(void *ctx, const uint8_t *p, uint32_t len)
{
    return ota_app_push_plain(ctx, p, len);
}

/* A patch names its base by the running app's appended SHA-256: the applier
 * refuses another base before its first output byte. */
static int running_base(struct ota_app_update *u, uint32_t *len)
{
    struct ota_image_opts o = ota_image_opts_app();
    struct ota_image_info info;
    o.chip_id = OTA_CHIP_ANY;
    int err = u->dev->running ? ota_image_verify_partition(u->dev->flash, u->dev->running, &o, &info)
                              : OTA_ERR_DELTA_BASE;
    if (!err && !info.header.hash_appended) {
        err = OTA_ERR_IMG_HASH;
    }
    if (err) {
        OTA_LOGE(TAG, "a patch needs the running app as its base, and it does not verify: %s", ota_strerror(err));
        return err;
    }
    memcpy(u->dec.sum.base_sha256, info.hash_stored, sizeof(u->dec.sum.base_sha256));
    *len = info.image_len;
    return OTA_OK;
}

/* The decrypted bytes are a patch or a compressed image: the applier makes
 * the image, of a length its header gives and the slot bounds. */
static int begin_applier(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    struct ota_delta *delta = u->dec.delta;
    bool compressed = ((uint32_t)d->form_head[0] | (uint32_t)d->form_head[1] << 8 |
                       (uint32_t)d->form_head[2] << 16 | (uint32_t)d->form_head[3] << 24) == OTA_CZ_MAGIC;
    uint32_t base_len = 0;
    int err;
    if (!delta) {
        OTA_LOGE(TAG, "the decrypted image is a patch or a compressed image, and this update has no applier");
        return OTA_ERR_DELTA_UNSUPPORTED;
    }
    if (!compressed && (err = running_base(u, &base_len))) {
        return err;
    }
    u->pw.total = OTA_LENGTH_UNKNOWN;  /* the image's length is the applier's to tell */
    u->pw.journaled = false;           /* the applier's state cannot resume: no record (older ones retired) */
    if ((err = ota_delta_begin(delta, base_len, compressed ? NULL : d->sum.base_sha256, read_running, applier_out, u))) {
        return err;
    }
    ota_delta_set_history(delta, read_written);
    if ((err = ota_pw_lend_scratch(&u->pw, delta))) {
        return err;
    }
    OTA_LOGI(TAG, "the decrypted bytes are %s: applied as they are authenticated",
             compressed ? "a compressed image" : "a patch for the running app");
    return ota_delta_set_bounds(delta, u->pw.limit, d->body_len);
}

/* Decrypted bytes out: held until their first 4 tell the form, then to the
 * app writer or through the applier. */
static int plain_out(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    int err;
    if (d->form == OTA_FORM_UNTOLD) {
        size_t k = sizeof(d->form_head) - d->form_len < len ? sizeof(d->form_head) - d->form_len : len;
        memcpy(d->form_head + d->form_len, p, k);
        d->form_len = (uint8_t)(d->form_len + k);
        p += k;
        len -= k;
        if (d->form_len < sizeof(d->form_head)) {
            return OTA_OK;
        }
        bool patch = ota_delta_is_patch(d->form_head, sizeof(d->form_head));
        d->form = patch ? OTA_FORM_PATCH : OTA_FORM_IMAGE;
        if ((patch && (err = begin_applier(u))) || (!patch && d->keep_header && (err = keep_header(u))) ||
            (err = plain_out(u, d->form_head, sizeof(d->form_head)))) {
            return err;
        }
    }
    if (!len) {
        return OTA_OK;
    }
    return d->form == OTA_FORM_PATCH ? ota_delta_write(u->dec.delta, p, len) : ota_app_push_plain(u, p, len);
}

/* Every byte authenticated: the applier's last bytes, or a payload too short
 * to tell (the writer says what is wrong with it). */
static int form_finish(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    if (d->form == OTA_FORM_PATCH) {
        int err = ota_delta_finish(u->dec.delta);
        if (err) {
            OTA_LOGE(TAG, "the decrypted patch does not apply: %s", ota_strerror(err));
        }
        return err;
    }
    if (d->form == OTA_FORM_UNTOLD) {
        d->form = OTA_FORM_IMAGE;
        return ota_app_push_plain(u, d->form_head, d->form_len);
    }
    return OTA_OK;
}

static int decrypt_body(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->taken + len > d->file_len) {
        OTA_LOGE(TAG, "bytes after the %u the header announces", (unsigned)d->body_len);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    /* the chunk work area, when the device has one, takes bigger pieces */
    uint8_t *out = d->work ? d->work : d->buf;
    size_t cap = d->work ? OTA_CHUNKED_WORK_LEN : sizeof(d->buf);
    while (len) {
        size_t n = len < cap ? len : cap;
        int err = ota_gcm_decrypt_update(&d->gcm, p, out, n);
        if (err || (err = plain_out(u, out, n))) {
            return err;
        }
        if (d->keep_digest) {
            ota_sha256_update(&d->sha, p, n);
        }
        d->taken += n;
        if (d->taken == d->file_len) {
            ota_sha256_finish(&d->sha, d->sum.digest);
        }
        p += n;
        len -= n;
    }
    return OTA_OK;
}

/* A chunk starts: the GCM state for its nonce and additional data (the key
 * set up once per image). */
static int start_chunk(struct ota_decrypt *d)
{
    struct ota_chunked_header h = {.nonce_prefix = d->nonce_prefix};
    uint8_t nonce[12], aad[37];
    ota_chunked_nonce(&h, d->index, nonce);
    ota_chunked_aad(d->hdr_digest, d->index, d->index + 1 == d->chunks, aad);
    if (d->gcm_open) {
        return ota_gcm_decrypt_restart(&d->gcm, nonce, sizeof(nonce), aad, sizeof(aad));
    }
    int err = ota_gcm_decrypt_begin(&d->gcm, d->key, nonce, sizeof(nonce), aad, sizeof(aad));
    d->gcm_open = !err;
    return err;
}

/* A chunk's tag is in: only an authenticated chunk goes to the writer. */
static int end_chunk(struct ota_app_update *u, uint32_t plain)
{
    struct ota_decrypt *d = &u->dec;
    int err = ota_gcm_decrypt_finish(&d->gcm, d->tag);
    if (err) {
        OTA_LOGE(TAG, "chunk %u of %u: %s: nothing of it written", (unsigned)d->index, (unsigned)d->chunks,
                 ota_strerror(err));
        int forget = ota_pw_forget(&u->pw);  /* the next run takes the image from byte 0 */
        (void)forget;                        /* the chunk's error is the one to report */
        return err;
    }
    d->index++;
    d->fill = 0;
    return plain_out(u, d->work, plain);
}

/* Bytes of chunks: the ciphertext is decrypted as it arrives, straight into
 * the work area (no copy of its own), the tag set aside; the chunk is
 * written once its tag verifies. */
static int chunk_body(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    int err = OTA_OK;
    while (len && !err) {
        if (d->index >= d->chunks) {
            OTA_LOGE(TAG, "bytes after the last chunk");
            return OTA_ERR_DECRYPT_LENGTH;
        }
        uint32_t left = d->body_len - d->index * d->chunk_len;
        uint32_t plain = left < d->chunk_len ? left : d->chunk_len;
        if (d->fill == 0 && (err = start_chunk(d))) {
            return err;
        }
        bool data = d->fill < plain;
        uint32_t k = data ? plain - d->fill : plain + OTA_CHUNKED_TAG_LEN - d->fill;
        k = len < k ? (uint32_t)len : k;
        if (data) {
            err = ota_gcm_decrypt_update(&d->gcm, p, d->work + d->fill, k);
        } else {
            memcpy(d->tag + (d->fill - plain), p, k);
        }
        if (d->keep_digest) {
            ota_sha256_update(&d->sha, p, k);
        }
        d->fill += k;
        d->taken += k;
        p += k;
        len -= k;
        if (!err && d->fill == plain + OTA_CHUNKED_TAG_LEN) {
            err = end_chunk(u, plain);
        }
    }
    if (!err && d->taken == d->file_len) {
        ota_sha256_finish(&d->sha, d->sum.digest);
    }
    return err;
}

static int start_over(struct ota_app_update *u);

int ota_app_decrypt_write(struct ota_app_update *u, const uint8_t *p, size_t len)
{
    struct ota_decrypt *d = &u->dec;
    if (d->state == OTA_DECRYPT_RESUMABLE) {
        /* written without a seek to where it continues: from byte 0 */
        int err = start_over(u);
        if (err) {
            return err;
        }
        if (!ota_app_decrypt_claims(u, p, len)) {
            return ota_app_push_plain(u, p, len);
        }
    }
    while (len && d->state == OTA_DECRYPT_HEADER) {
        size_t k = OTA_ESP_ENC_HEADER_LEN - d->hdr_len < len ? OTA_ESP_ENC_HEADER_LEN - d->hdr_len : len;
        memcpy(d->buf + d->hdr_len, p, k);
        if (d->keep_digest) {
            ota_sha256_update(&d->sha, p, k);
        }
        d->hdr_len += (uint32_t)k;
        d->taken += k;
        p += k;
        len -= k;
        int err = d->hdr_len == OTA_ESP_ENC_HEADER_LEN ? open_header(u) : OTA_OK;
        if (err) {
            return err;
        }
    }
    if (!len) {
        return OTA_OK;
    }
    return d->format == OTA_DECRYPT_CHUNKED ? chunk_body(u, p, len) : decrypt_body(u, p, len);
}

uint64_t ota_app_decrypt_resume_offset(uint32_t durable, uint8_t chunk_log2)
{
    uint64_t index = durable >> chunk_log2;
    return OTA_CHUNKED_HEADER_LEN + index * ((1u << chunk_log2) + OTA_CHUNKED_TAG_LEN);
}

int64_t ota_app_decrypt_resumable(struct ota_app_update *u, int64_t src_len, const char *validator)
{
    struct ota_decrypt *d = &u->dec;
    const struct ota_journal *j = &u->pw.journal;
    const struct ota_partition *t = u->opt.target;
    uint32_t cap = ota_journal_data_capacity(t);
    struct ota_chunked_header h;
    if (!u->pw.journal_loaded || !j->chunk_log2 || j->state != OTA_JOURNAL_WRITING || src_len <= 0 ||
        d->keep_digest || cap < 2 * OTA_FLASH_SECTOR_SIZE || !u->dev->decrypt_key || !u->dev->decrypt_work ||
        ota_flash_read(u->dev->flash, stash_addr(t), d->buf, OTA_CHUNKED_HEADER_LEN) ||
        ota_chunked_parse_header(d->buf, &h) || ota_chunked_file_len(&h) != (uint64_t)src_len ||
        h.chunk_len != 1u << j->chunk_log2 || h.length > cap - OTA_FLASH_SECTOR_SIZE) {
        return 0;  /* nothing of this source to continue: from byte 0 */
    }
    u->pw.journaled = true;
    u->pw.limit = cap - OTA_FLASH_SECTOR_SIZE;
    ota_pw_reset(&u->pw, h.length, validator);
    uint32_t index = ota_pw_resume(&u->pw) >> j->chunk_log2;  /* the record's length, source, validator */
    if (!index) {
        return 0;
    }
    chunked_state(d, &h);
    d->state = OTA_DECRYPT_RESUMABLE;
    d->format = OTA_DECRYPT_CHUNKED;
    d->work = u->dev->decrypt_work;
    d->announced = src_len;
    d->file_len = (uint64_t)src_len;
    d->body_len = h.length;
    d->hdr_len = OTA_CHUNKED_HEADER_LEN;
    d->index = index;
    d->taken = ota_app_decrypt_resume_offset(index << j->chunk_log2, j->chunk_log2);
    d->form = OTA_FORM_IMAGE;  /* only an image keeps a record */
    d->form_len = 0;
    return (int64_t)d->taken;
}

/* Continue a journaled chunked transfer at chunk d->index: the header kept
 * in the slot opens the key again (and is authenticated by it), the writer
 * replays what is in flash (the head checks, the image's digests), and
 * every chunk from here is authenticated before it is written, from the
 * first byte read. */
static int resume_chunked(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    struct ota_chunked_header h;
    uint32_t plain = d->index * d->chunk_len;
    int err = ota_chunked_parse_header(d->buf, &h);
    if (!err && !(err = ota_chunked_open(u->dev->decrypt_key, d->buf, &h, d->key))) {
        err = ota_app_seek_plain(u, plain);
    }
    if (err) {
        OTA_LOGE(TAG, "resuming the chunked transfer: %s: taken from byte 0 next time", ota_strerror(err));
        int forget = ota_pw_forget(&u->pw);
        (void)forget;  /* the resume's error is the one to report */
        return err;
    }
    d->state = OTA_DECRYPT_BODY;
    OTA_LOGI(TAG, "resuming the chunked transfer at chunk %u of %u (encrypted byte %llu): %u bytes in flash kept",
             (unsigned)d->index, (unsigned)d->chunks, (unsigned long long)d->taken, (unsigned)plain);
    return OTA_OK;
}

/* From byte 0: the layer and the writer start over (a record of this
 * source is not resumed; the next header begins a new one). */
static int start_over(struct ota_app_update *u)
{
    char validator[OTA_VALIDATOR_LEN + 1];
    memcpy(validator, u->pw.validator, sizeof(validator));
    u->pw.journal.state = OTA_JOURNAL_NONE;
    int err = ota_app_set_source(u, u->dec.announced, validator);
    return err < 0 ? err : OTA_OK;
}

int ota_app_decrypt_seek(struct ota_app_update *u, uint64_t off)
{
    struct ota_decrypt *d = &u->dec;
    if (d->state == OTA_DECRYPT_RESUMABLE && off == d->taken) {
        return resume_chunked(u);
    }
    if (off == d->taken && d->state != OTA_DECRYPT_RESUMABLE) {
        return OTA_OK;  /* a reconnection that continues where the stream stopped */
    }
    if (off != 0) {
        OTA_LOGE(TAG, "continues at %llu or from 0, not at %llu", (unsigned long long)d->taken,
                 (unsigned long long)off);
        return OTA_ERR_INVALID_ARG;
    }
    return start_over(u);
}

void ota_app_keep_encrypted_digest(struct ota_app_update *u)
{
    u->dec.keep_digest = true;
}

void ota_app_apply_decrypted(struct ota_app_update *u, struct ota_delta *work)
{
    u->dec.delta = work;
}

const uint8_t *ota_app_encrypted_digest(const struct ota_app_update *u)
{
    const struct ota_decrypt *d = &u->dec;
    bool whole = d->keep_digest && d->state == OTA_DECRYPT_BODY && d->taken == d->file_len;
    return whole ? d->sum.digest : NULL;
}

int ota_app_decrypt_complete(struct ota_app_update *u)
{
    if (u->dec.state == OTA_DECRYPT_OFF) {
        return OTA_OK;
    }
    int err = ota_app_decrypt_finish(u);
    u->dec.state = OTA_DECRYPT_OFF;  /* decrypted: ota_app_finish goes on with the image's own checks */
    return err;
}

int ota_app_decrypt_finish(struct ota_app_update *u)
{
    struct ota_decrypt *d = &u->dec;
    int err;
    if (d->state != OTA_DECRYPT_BODY || d->taken != d->file_len) {
        OTA_LOGE(TAG, "cut short after %llu bytes: nothing selected", (unsigned long long)d->taken);
        return OTA_ERR_DECRYPT_LENGTH;
    }
    if (d->format == OTA_DECRYPT_CHUNKED) {
        ota_app_decrypt_stop(u);  /* every chunk, the last one flagged, authenticated: the image is whole */
        return form_finish(u);
    }
    err = ota_gcm_decrypt_finish(&d->gcm, d->tag);
    ota_app_decrypt_stop(u);
    if (err) {
        OTA_LOGE(TAG, "GCM tag: %s: nothing selected", ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "GCM tag verified");
    return form_finish(u);
}
#else
typedef int ota_app_decrypt_left_out;  /* an empty unit is not ISO C; the stubs are inline in ota/update.h */
#endif
