/*
 * Compressor of app images (docs/compress-format.md): an LZ77 parse over
 * the whole image so far (hash chains, any distance), coded with the model
 * the device decodes with (src/core/compress/cz_model.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cz_make.h"
#include "lz_find.h"
#include "range_enc.h"
#include "ota/hash.h"

/* The name the shared model (cz_model.h) codes through; the decoder has its own. */
struct cz_io {
    struct range_enc rc;
};

static inline int cz_bit(struct cz_io *e, unsigned p0, int bit)
{
    range_enc_bit(&e->rc, p0, bit);
    return bit;
}

#include "compress/cz_model.h"

/* A sync point: the coder's last bytes out, a fresh coder, every model
 * reset, so a decoder can start here knowing only the output before it. */
static void sync_point(struct cz_io *io, struct ota_cz *c)
{
    range_enc_flush(&io->rc);
    struct range_enc fresh = RANGE_ENC_INIT(io->rc.out);
    fresh.err = io->rc.err;
    io->rc = fresh;
    cz_init(c);
}

static void encode_body(struct cz_io *io, struct ota_cz *c, struct lz_finder *f, uint32_t sync)
{
    uint32_t stop = sync && sync < f->len ? sync : (uint32_t)f->len;
    for (uint32_t i = 0; i < f->len;) {
        if (i == stop) {
            sync_point(io, c);
            stop = f->len - stop > sync ? stop + sync : (uint32_t)f->len;
        }
        struct lz_choice ch = lz_best_at(f, i, c->lz.rep, stop - i);
        if (ch.score > 0 && ch.rep_i == OTA_CZ_REPS && ch.len < 64 && i + 1 < stop) {
            lz_insert(f, i);
            struct lz_choice next = lz_best_at(f, i + 1, c->lz.rep, stop - i - 1);
            f->head[lz_hash4(f->in + i)] = f->prev[i]; /* inserted again below */
            if (next.score > ch.score + LZ_LAZY_MARGIN) {
                ch.score = 0; /* a literal now, the longer match next */
            }
        }
        if (ch.score <= 0) {
            cz_prob_bit(io, cz_is_match(&c->lz, i), 0);
            int have = c->lz.rep[0] <= i;
            cz_literal(io, c, f->in[i], have ? f->in[i - c->lz.rep[0]] : 0, have);
            cz_after_literal(c);
            cz_after_byte(c, f->in[i]);
            lz_insert(f, i++);
            continue;
        }
        cz_prob_bit(io, cz_is_match(&c->lz, i), 1);
        cz_match(io, &c->lz, ch.len, &ch.dist, &ch.rep_i);
        cz_after_match(c, ch.rep_i, ch.dist);
        for (uint32_t k = 0; k < ch.len; k++) {
            cz_after_byte(c, f->in[i]);
            lz_insert(f, i++);
        }
    }
}

int cz_compress(const uint8_t *in, size_t len, struct delta_buf *out)
{
    return cz_compress_sync(in, len, OTA_CZ_SYNC_DEFAULT, out);
}

int cz_compress_sync(const uint8_t *in, size_t len, uint32_t sync, struct delta_buf *out)
{
    if (len > UINT32_MAX - 1u || !sync || sync % OTA_CZ_SYNC_UNIT) {
        return -1;
    }
    uint8_t hdr[OTA_CZ_HEADER_LEN] = {0};
    put_le32(hdr, OTA_CZ_MAGIC);
    hdr[4] = OTA_CZ_VERSION;
    put_le32(hdr + 8, (uint32_t)len);
    put_le32(hdr + 12, sync);
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, in, len);
    ota_sha256_finish(&sha, hdr + 16);
    struct lz_finder f;
    int nomem = lz_finder_init(&f, in, len);
    struct ota_cz *c = malloc(sizeof(*c));
    struct cz_io io = {RANGE_ENC_INIT(out)};
    int err = nomem || !c || delta_buf_put(out, hdr, sizeof(hdr));
    if (!err) {
        cz_init(c);
        encode_body(&io, c, &f, sync);
        range_enc_flush(&io.rc);
        err = io.rc.err;
    }
    lz_finder_free(&f);
    free(c);
    return err ? -1 : 0;
}
