/*
 * The patch applier's front: recognise the patch form from its header,
 * check the base, then hand the body to the form's decoder. Holds the two
 * buffers every form shares: a window on the old image (random reads come
 * in runs, so one read serves many bytes) and the output batch.
 */
#include <string.h>

#include "../bytes.h"
#include "compact_reloc.h"
#include "delta_internal.h"
#include "ota/error.h"

#define DT_COMPRESSION_NONE 0u
#define DT_COMPRESSION_HEATSHRINK 4u

bool ota_delta_is_patch(const uint8_t *first, size_t len)
{
    if (!first || len < 4) {
        return false;
    }
    uint32_t magic = get_le32(first);
    return magic == OTA_DELTA_ESP_MAGIC || magic == OTA_DELTA_COMPACT_MAGIC || magic == OTA_CZ_MAGIC;
}

/* detools' header size: 6 bits, then 7 bits per byte while bit 7 is set. */
static int parse_header_size(const uint8_t *p, size_t len, size_t *used, uint32_t *value)
{
    uint64_t v = 0;
    unsigned shift = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = p[i];
        v |= (uint64_t)(b & (i == 0 ? 0x3fu : 0x7fu)) << shift;
        shift += i == 0 ? 6u : 7u;
        if (v > UINT32_MAX || shift > 41) {
            return OTA_ERR_DELTA_CORRUPT;
        }
        if (!(b & 0x80)) {
            *used = i + 1;
            *value = (uint32_t)v;
            return 0;
        }
    }
    return OTA_ERR_DELTA_TRUNCATED;
}

int delta_parse_detools_header(const uint8_t *p, size_t len, struct ota_delta_header *h, uint8_t *compression,
                               uint8_t *hs_param)
{
    if (len < 1) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    /* bits 6..4: patch type (0 = sequential), bits 3..0: compression */
    if (p[0] & 0x80) {
        return OTA_ERR_DELTA_FORMAT;
    }
    if ((p[0] >> 4) != 0) {
        return OTA_ERR_DELTA_UNSUPPORTED; /* in-place patches rewrite the old slot */
    }
    *compression = p[0] & 0x0f;
    if (*compression != DT_COMPRESSION_NONE && *compression != DT_COMPRESSION_HEATSHRINK) {
        return OTA_ERR_DELTA_UNSUPPORTED;
    }
    size_t used = 0;
    int rc = parse_header_size(p + 1, len - 1, &used, &h->new_size);
    if (rc) {
        return rc;
    }
    size_t n = 1 + used;
    if (*compression == DT_COMPRESSION_HEATSHRINK) {
        if (len < n + 1) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
        *hs_param = p[n++];
    }
    h->header_len += (uint32_t)n;
    return 0;
}

static int parse_compact(const uint8_t *buf, size_t len, struct ota_delta_header *h)
{
    if (len < OTA_DELTA_COMPACT_HEADER_LEN) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    if (buf[4] != OTA_DELTA_COMPACT_VERSION && buf[4] != OTA_DELTA_COMPACT_VERSION_NO_SYNC) {
        return OTA_ERR_DELTA_VERSION; /* its models differ: decoding would be garbage */
    }
    uint32_t sync = buf[4] == OTA_DELTA_COMPACT_VERSION ? get_le32(buf + 80) : 0;  /* version 3: reserved */
    if ((buf[5] & ~OTA_DELTA_FLAG_RELOC) || buf[6] || buf[7] ||
        (buf[4] == OTA_DELTA_COMPACT_VERSION && (!sync || sync % OTA_CZ_SYNC_UNIT))) {
        return OTA_ERR_DELTA_UNSUPPORTED; /* flags or fields this version does not define */
    }
    h->sync = sync;
    h->flags = buf[5];
    h->form = OTA_DELTA_COMPACT;
    h->old_size = get_le32(buf + 8);
    h->new_size = get_le32(buf + 12);
    h->has_base = true;
    memcpy(h->base_sha256, buf + 16, OTA_SHA256_LEN);
    h->has_new = true;
    memcpy(h->new_sha256, buf + 48, OTA_SHA256_LEN);
    h->header_len = OTA_DELTA_COMPACT_HEADER_LEN;
    return 0;
}

static int parse_compressed(const uint8_t *buf, size_t len, struct ota_delta_header *h)
{
    if (len < OTA_CZ_HEADER_LEN) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    if (buf[4] != OTA_CZ_VERSION) {
        return OTA_ERR_DELTA_VERSION; /* 1 and 2 had the older literal model */
    }
    uint32_t sync = get_le32(buf + 12);
    if ((buf[5] & ~OTA_CZ_FLAG_XTENSA) || buf[6] || buf[7] || !sync || sync % OTA_CZ_SYNC_UNIT) {
        return OTA_ERR_DELTA_UNSUPPORTED; /* flags or fields this version does not define */
    }
    /* Coded Xtensa targets: the decoder sweeps the image as compact patches
     * that predict relocations do (its segments, its instructions). */
    h->flags = buf[5] & OTA_CZ_FLAG_XTENSA ? OTA_DELTA_FLAG_RELOC : 0u;
    h->sync = sync;
    h->form = OTA_DELTA_COMPRESSED;
    h->new_size = get_le32(buf + 8);
    h->has_new = true;
    memcpy(h->new_sha256, buf + 16, OTA_SHA256_LEN);
    h->header_len = OTA_CZ_HEADER_LEN;
    return 0;
}

bool ota_delta_checkpoint(const struct ota_delta *d, struct ota_delta_checkpoint *cp)
{
    if (!d || !cp || d->error || d->cp.out_off == 0) {
        return false;
    }
    *cp = d->cp;
    return true;
}

bool delta_at_sync(const struct ota_delta *d)
{
    return d->hdr.sync && d->new_pos && d->new_pos % d->hdr.sync == 0 && d->new_pos != d->cp.out_off;
}

void delta_sync_point(struct ota_delta *d)
{
    d->cp.in_off = d->hdr.header_len + d->body_in - (d->in_len - d->in_pos);
    d->cp.out_off = d->new_pos;
    d->cp.image_len = d->hdr.new_size;
    d->cp.sync = d->hdr.sync;
    d->cp.form = (uint32_t)d->hdr.form | (uint32_t)d->hdr.flags << 8;
    memcpy(d->cp.image_sha256, d->hdr.new_sha256, OTA_SHA256_LEN);
    d->old_pos = d->new_pos;  /* the defined state a decoder resumes in */
    rl_sweep_sync(&d->rl.sw, d->new_pos);
}

/* The SHA-256 of the image's first n bytes, read back from the output. */
static int rehash_output(struct ota_delta *d, uint32_t n)
{
    ota_sha256_init(&d->sha);
    for (uint32_t off = 0; off < n;) {
        uint32_t k = n - off < OTA_DELTA_OLD_BUF ? n - off : OTA_DELTA_OLD_BUF;
        int rc = d->read_new(d->ctx, off, d->old_buf, k);
        if (rc) {
            return rc;
        }
        ota_sha256_update(&d->sha, d->old_buf, k);
        if (off + k == n && k == OTA_DELTA_OUT_BUF) {
            memcpy(d->out_buf, d->old_buf, k); /* the batch before the checkpoint, as if just flushed */
        }
        for (uint32_t i = 0; (d->hdr.flags & OTA_DELTA_FLAG_RELOC) && i < k && !rc; i++) {
            rc = rl_sweep_byte(&d->rl.sw, off + i, d->old_buf[i]);  /* the sweep as the writer had it */
        }
        if (rc) {
            return rc;
        }
        off += k;
    }
    return 0;
}

/* The header a checkpoint stands for: a compressed image's, or a compact
 * patch's onto the old image begin was given (its base the expected one). */
static uint32_t resume_header(struct ota_delta *d, const struct ota_delta_checkpoint *cp)
{
    d->hdr.form = (enum ota_delta_form)(cp->form & 0xFFu);
    d->hdr.flags = (uint8_t)(cp->form >> 8);
    d->hdr.new_size = cp->image_len;
    d->hdr.sync = cp->sync;
    d->hdr.has_new = true;
    memcpy(d->hdr.new_sha256, cp->image_sha256, OTA_SHA256_LEN);
    if (cp->form == OTA_DELTA_COMPACT) {
        d->hdr.has_base = true;
        memcpy(d->hdr.base_sha256, d->expect_base, OTA_SHA256_LEN);
        d->hdr.old_size = d->old_size;
        return OTA_DELTA_COMPACT_HEADER_LEN;
    }
    return OTA_CZ_HEADER_LEN;
}

int ota_delta_resume(struct ota_delta *d, const struct ota_delta_checkpoint *cp)
{
    if (!d || !cp || d->header_done || d->hdr_have) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!d->read_new) {
        return d->error = OTA_ERR_DELTA_UNSUPPORTED;
    }
    uint32_t hlen = (cp->form & 0xFFu) == OTA_DELTA_COMPACT ? OTA_DELTA_COMPACT_HEADER_LEN : OTA_CZ_HEADER_LEN;
    uint32_t form = cp->form & ~(OTA_DELTA_FLAG_RELOC << 8);
    if ((form != OTA_DELTA_COMPRESSED && (form != OTA_DELTA_COMPACT || !d->expect_base)) ||
        !cp->sync ||
        cp->sync % OTA_CZ_SYNC_UNIT || cp->out_off % cp->sync || cp->out_off == 0 || cp->out_off >= cp->image_len ||
        cp->image_len > d->out_max || cp->in_off < hlen || cp->in_off > d->in_left) {
        return d->error = OTA_ERR_DELTA_CHECKPOINT;
    }
    d->hdr.header_len = resume_header(d, cp);
    d->header_done = true;
    d->in_left -= cp->in_off;  /* the bound counts the whole patch */
    int rc = form == OTA_DELTA_COMPACT ? delta_compact_start(d) : delta_cz_start(d);
    if (!rc) {
        rc = rehash_output(d, cp->out_off);
    }
    rl_sweep_sync(&d->rl.sw, cp->out_off);
    if (!rc && form == OTA_DELTA_COMPACT) {
        rc = delta_compact_resumed(d);
    }
    d->cp = *cp;
    d->new_pos = cp->out_off;
    d->old_pos = cp->out_off;
    d->body_in = cp->in_off - hlen;
    return d->error = rc;
}

/* Body bytes into the input buffer, each time as many as fit, decoded by
 * the form's run (1 when its stream is done): compact and compressed. */
int delta_buffered_feed(struct ota_delta *d, const uint8_t *p, size_t len, int (*run)(struct ota_delta *, bool))
{
    int rc = 0;
    while (rc == 0 && len) {
        if (d->in_pos > 0) { /* keep the unread bytes at the front */
            memmove(d->in_buf, d->in_buf + d->in_pos, d->in_len - d->in_pos);
            d->in_len -= d->in_pos;
            d->in_pos = 0;
        }
        size_t n = OTA_DELTA_IN_BUF - d->in_len < len ? OTA_DELTA_IN_BUF - d->in_len : len;
        memcpy(d->in_buf + d->in_len, p, n);
        d->in_len += (uint32_t)n;
        d->body_in += (uint32_t)n;  /* in the buffer: what the decoder has not read of it is in_len - in_pos */
        p += n;
        len -= n;
        rc = run(d, false);
        if (rc > 0 && (len || d->in_len - d->in_pos > 4)) {
            return OTA_ERR_DELTA_TRAILING;
        }
    }
    return rc < 0 ? rc : 0;
}

int delta_buffered_end(struct ota_delta *d, int (*run)(struct ota_delta *, bool))
{
    int rc = run(d, true);
    if (rc >= 0 && d->overread) {
        rc = OTA_ERR_DELTA_TRUNCATED;
    }
    if (rc >= 0 && d->in_len - d->in_pos > 4) {
        rc = OTA_ERR_DELTA_TRAILING;
    }
    return rc < 0 ? rc : 0;
}

static int parse_header_full(const uint8_t *buf, size_t len, struct ota_delta_header *h, uint8_t *compression,
                             uint8_t *hs_param)
{
    memset(h, 0, sizeof(*h));
    if (len < 4) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    uint32_t magic = get_le32(buf);
    if (magic == OTA_DELTA_COMPACT_MAGIC) {
        return parse_compact(buf, len, h);
    }
    if (magic == OTA_CZ_MAGIC) {
        return parse_compressed(buf, len, h);
    }
    if (magic == OTA_DELTA_ESP_MAGIC) {
        if (len < OTA_DELTA_ESP_HEADER_LEN) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
        h->form = OTA_DELTA_ESP;
        h->has_base = true;
        memcpy(h->base_sha256, buf + 4, OTA_SHA256_LEN);
        h->header_len = OTA_DELTA_ESP_HEADER_LEN;
        return delta_parse_detools_header(buf + OTA_DELTA_ESP_HEADER_LEN, len - OTA_DELTA_ESP_HEADER_LEN, h,
                                          compression, hs_param);
    }
    if (buf[0] == 0xE9) {
        return OTA_ERR_DELTA_FORMAT; /* an app image, not a patch */
    }
    h->form = OTA_DELTA_DETOOLS;
    return delta_parse_detools_header(buf, len, h, compression, hs_param);
}

int ota_delta_parse_header(const uint8_t *buf, size_t len, struct ota_delta_header *h)
{
    uint8_t compression = 0, hs_param = 0;
    if (!buf || !h) {
        return OTA_ERR_INVALID_ARG;
    }
    return parse_header_full(buf, len, h, &compression, &hs_param);
}

int ota_delta_begin(struct ota_delta *d, uint32_t old_size, const uint8_t *expect_base,
                    ota_delta_read_fn read_old, ota_delta_out_fn out, void *ctx)
{
    if (!d || !read_old || !out) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(d, 0, sizeof(*d));
    d->read_old = read_old;
    d->out = out;
    d->ctx = ctx;
    d->old_size = old_size;
    d->expect_base = expect_base;
    d->out_max = UINT32_MAX;
    d->in_left = UINT32_MAX;
    return 0;
}

int ota_delta_set_bounds(struct ota_delta *d, uint32_t out_max, uint32_t in_max)
{
    if (!d || !out_max || !in_max) {
        return OTA_ERR_INVALID_ARG;
    }
    d->out_max = out_max;
    d->in_left = in_max;
    return 0;
}

int delta_step_end(struct ota_delta *d)
{
    d->idle_steps = d->step_output ? 0 : (uint8_t)(d->idle_steps + 1);
    d->step_output = false;
    return d->idle_steps > OTA_DELTA_IDLE_STEPS_MAX ? OTA_ERR_DELTA_STALLED : 0;
}

int ota_delta_set_scratch(struct ota_delta *d, const struct ota_delta_scratch_ops *ops, void *ctx, uint32_t size,
                          bool shared)
{
    if (!d || !ops || !ops->erase || !ops->program || !ops->read || !size || size % OTA_CZ_SYNC_UNIT) {
        return OTA_ERR_INVALID_ARG;
    }
    d->rl.ops = ops;
    d->rl.ctx = ctx;
    d->rl.size = size;
    d->rl.shared = shared;
    return 0;
}

void ota_delta_set_history(struct ota_delta *d, ota_delta_read_fn read_new)
{
    if (d) {
        d->read_new = read_new;
    }
}

static int flush_out(struct ota_delta *d)
{
    if (d->out_len == 0) {
        return 0;
    }
    if (d->hdr.has_new) {
        ota_sha256_update(&d->sha, d->out_buf, d->out_len);
    }
    int rc = d->out(d->ctx, d->out_buf, d->out_len);
    d->out_len = 0;
    return rc;
}

static int put_byte(struct ota_delta *d, uint8_t b)
{
    if (d->new_pos >= d->hdr.new_size) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    if (d->hdr.flags & OTA_DELTA_FLAG_RELOC) {
        int rc = rl_sweep_byte(&d->rl.sw, d->new_pos, b);
        if (rc) {
            return rc;
        }
    }
    d->out_buf[d->out_len++] = b;
    d->new_pos++;
    d->step_output = true;
    return d->out_len == OTA_DELTA_OUT_BUF ? flush_out(d) : 0;
}

int delta_peek_old_at(struct ota_delta *d, uint32_t k, uint8_t *b)
{
    if (d->old_pos < 0 || d->old_pos + k >= (int64_t)d->old_size) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    uint32_t pos = (uint32_t)d->old_pos + k;
    if (d->buf_holds_new || pos < d->old_buf_off || pos >= d->old_buf_off + d->old_buf_len) {
        d->buf_holds_new = false;
        uint32_t n = d->old_size - pos < OTA_DELTA_OLD_BUF ? d->old_size - pos : OTA_DELTA_OLD_BUF;
        d->old_buf_len = 0;
        int rc = d->read_old(d->ctx, pos, d->old_buf, n);
        if (rc) {
            return rc;
        }
        d->old_buf_off = pos;
        d->old_buf_len = n;
    }
    *b = d->old_buf[pos - d->old_buf_off];
    return 0;
}

int delta_peek_new(struct ota_delta *d, uint32_t back, uint8_t *b)
{
    uint32_t pos = d->new_pos - back, flushed = d->new_pos - d->out_len;
    if (pos >= flushed) {
        *b = d->out_buf[pos - flushed];
        return 0;
    }
    if (delta_batch_before(d, flushed - pos)) {
        *b = d->out_buf[OTA_DELTA_OUT_BUF - (flushed - pos)];
        return 0;
    }
    if (!d->buf_holds_new || pos < d->old_buf_off || pos >= d->old_buf_off + d->old_buf_len) {
        uint32_t n = flushed - pos < OTA_DELTA_OLD_BUF ? flushed - pos : OTA_DELTA_OLD_BUF;
        d->old_buf_len = 0;
        d->buf_holds_new = true;
        int rc = d->read_new(d->ctx, pos, d->old_buf, n);
        if (rc) {
            return rc;
        }
        d->old_buf_off = pos;
        d->old_buf_len = n;
    }
    *b = d->old_buf[pos - d->old_buf_off];
    return 0;
}

int delta_put_diff(struct ota_delta *d, uint8_t diff)
{
    uint8_t old;
    int rc = delta_peek_old_at(d, 0, &old);
    return rc ? rc : delta_put_diff_to(d, diff, old);
}

int delta_put_diff_to(struct ota_delta *d, uint8_t diff, uint8_t old)
{
    d->old_pos++;
    return put_byte(d, (uint8_t)(diff + old));
}

int delta_put_extra(struct ota_delta *d, uint8_t b)
{
    return put_byte(d, b);
}

void delta_seek_old(struct ota_delta *d, int64_t rel)
{
    /* Checked when a byte is read: a seek may pass either end and come back.
     * Far outside, the cursor sticks there (no overflow, still invalid). */
    const int64_t far = (int64_t)1 << 40;
    if (d->old_pos > -far && d->old_pos < far) {
        d->old_pos += rel;
    }
}

/* Body bytes, once the header is known. */
static int feed_body(struct ota_delta *d, const uint8_t *p, size_t len)
{
    int rc = 0;
    if (d->hdr.form == OTA_DELTA_COMPACT) {
        return delta_compact_feed(d, p, len);
    }
    if (d->hdr.form == OTA_DELTA_COMPRESSED) {
        return delta_cz_feed(d, p, len);
    }
    for (size_t i = 0; i < len && !rc; i++) {
        rc = d->compression == DT_COMPRESSION_HEATSHRINK ? delta_hs_feed(d, p[i]) : delta_dt_byte(d, p[i]);
    }
    return rc;
}

static int start_body(struct ota_delta *d)
{
    if (d->hdr.new_size > d->out_max) {
        return OTA_ERR_DELTA_OUTPUT_BOUND;
    }
    if (d->hdr.form == OTA_DELTA_COMPRESSED) {
        ota_sha256_init(&d->sha);
        return delta_cz_start(d); /* a whole image: no base to check */
    }
    if (d->expect_base && (!d->hdr.has_base || memcmp(d->expect_base, d->hdr.base_sha256, OTA_SHA256_LEN) != 0)) {
        return OTA_ERR_DELTA_BASE;
    }
    if (d->hdr.form == OTA_DELTA_COMPACT) {
        if (d->hdr.old_size > d->old_size) {
            return OTA_ERR_DELTA_BASE; /* the base it names is longer than the old image we have */
        }
        ota_sha256_init(&d->sha);
        return delta_compact_start(d);
    }
    delta_dt_start(d);
    return d->compression == DT_COMPRESSION_HEATSHRINK ? delta_hs_start(d, d->hs_param) : 0;
}

/* Gather header bytes until the header parses; then start the body with
 * whatever followed it. */
static int feed_header(struct ota_delta *d, const uint8_t **p, size_t *len, bool final)
{
    while (!d->header_done && (*len > 0 || final)) {
        if (*len > 0 && d->hdr_have < OTA_DELTA_HEADER_MAX) {
            d->hdr_buf[d->hdr_have++] = **p;
            (*p)++;
            (*len)--;
        }
        int rc = parse_header_full(d->hdr_buf, d->hdr_have, &d->hdr, &d->compression, &d->hs_param);
        if (rc == OTA_ERR_DELTA_TRUNCATED && !final && d->hdr_have < OTA_DELTA_HEADER_MAX) {
            continue;
        }
        if (rc == OTA_ERR_DELTA_TRUNCATED && *len > 0 && d->hdr_have < OTA_DELTA_HEADER_MAX) {
            continue;
        }
        if (rc) {
            return rc;
        }
        d->header_done = true;
        rc = start_body(d);
        if (!rc) {
            rc = feed_body(d, d->hdr_buf + d->hdr.header_len, d->hdr_have - d->hdr.header_len);
        }
        return rc;
    }
    return 0;
}

int ota_delta_write(struct ota_delta *d, const void *patch, size_t len)
{
    if (!d || (!patch && len)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (d->error) {
        return d->error;
    }
    if (d->finished) {
        return d->error = OTA_ERR_DELTA_STATE;
    }
    if (len > d->in_left) {
        return d->error = OTA_ERR_DELTA_INPUT_BOUND;
    }
    d->in_left -= (uint32_t)len;
    const uint8_t *p = patch;
    int rc = feed_header(d, &p, &len, false);
    if (!rc && len) {
        rc = feed_body(d, p, len);
    }
    return d->error = rc;
}

static int finish_body(struct ota_delta *d)
{
    int rc;
    if (d->hdr.form == OTA_DELTA_COMPACT) {
        rc = delta_compact_end(d);
    } else if (d->hdr.form == OTA_DELTA_COMPRESSED) {
        rc = delta_cz_end(d);
    } else {
        rc = d->compression == DT_COMPRESSION_HEATSHRINK ? delta_hs_end(d) : 0;
        if (!rc) {
            rc = delta_dt_end(d);
        }
    }
    if (!rc && d->new_pos != d->hdr.new_size) {
        rc = OTA_ERR_DELTA_TRUNCATED;
    }
    return rc ? rc : flush_out(d);
}

int ota_delta_finish(struct ota_delta *d)
{
    if (!d) {
        return OTA_ERR_INVALID_ARG;
    }
    if (d->error || d->finished) {
        return d->error ? d->error : OTA_ERR_DELTA_STATE;
    }
    const uint8_t *p = NULL;
    size_t len = 0;
    int rc = feed_header(d, &p, &len, true);
    if (!rc && !d->header_done) {
        rc = OTA_ERR_DELTA_TRUNCATED;
    }
    if (!rc) {
        rc = finish_body(d);
    }
    if (!rc && d->hdr.has_new) {
        uint8_t digest[OTA_SHA256_LEN];
        ota_sha256_finish(&d->sha, digest);
        if (memcmp(digest, d->hdr.new_sha256, OTA_SHA256_LEN) != 0) {
            rc = OTA_ERR_DELTA_RESULT;
        }
    }
    d->finished = true;
    return d->error = rc;
}

const struct ota_delta_header *ota_delta_header_of(const struct ota_delta *d)
{
    return d && d->header_done ? &d->hdr : NULL;
}

uint32_t ota_delta_produced(const struct ota_delta *d)
{
    return d ? d->new_pos : 0;
}
