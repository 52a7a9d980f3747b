/*
 * Compressor of app images (docs/compress-format.md): an LZ77 parse over
 * the whole image so far (hash chains, any distance), coded with the model
 * the device decodes with (src/core/compress/cz_model.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cz_make.h"
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

#define LITB 8 /* bits a literal costs, as the parser estimates it */
#define HASH_BITS 20u
#define MAX_LEN 65535u
#define CHAIN_DEPTH 512u
#define NICE_LEN 512u
#define LAZY_MARGIN 0 /* bits the next position must gain for a literal now */

struct finder {
    const uint8_t *in;
    uint32_t len;
    int32_t *head, *prev;
};

static uint32_t hash4(const uint8_t *p)
{
    return (get_le32(p) * 2654435761u) >> (32u - HASH_BITS);
}

static uint32_t common(const struct finder *f, uint32_t a, uint32_t b)
{
    uint32_t max = f->len - a < MAX_LEN ? f->len - a : MAX_LEN, n = 0;
    while (n < max && f->in[a + n] == f->in[b + n]) {
        n++;
    }
    return n;
}

static int log2u(uint32_t v)
{
    int n = 0;
    while (v >>= 1) {
        n++;
    }
    return n;
}

/* Estimated bits a choice saves over literals. */
static int score_rep(uint32_t len, unsigned i)
{
    return (int)len * LITB - 5 - (int)i - 2 * log2u(len);
}

static int score_new(uint32_t len, uint32_t dist)
{
    return (int)len * LITB - 8 - 2 * log2u(len) - log2u(dist) - 3;
}

struct choice {
    uint32_t len, dist;
    unsigned rep_i;
    int score;
};

static struct choice best_at(const struct finder *f, uint32_t i, const uint32_t *rep)
{
    struct choice best = {0, 0, OTA_CZ_REPS, 0};
    for (unsigned r = 0; r < OTA_CZ_REPS; r++) {
        if (rep[r] <= i) {
            uint32_t n = common(f, i, i - rep[r]);
            if (n && score_rep(n, r) > best.score) {
                best = (struct choice){n, rep[r], r, score_rep(n, r)};
            }
        }
    }
    if (f->len - i < 4) {
        return best;
    }
    int32_t cand = f->head[hash4(f->in + i)];
    for (unsigned depth = 0; cand >= 0 && depth < CHAIN_DEPTH; depth++, cand = f->prev[cand]) {
        uint32_t n = common(f, i, (uint32_t)cand);
        if (n >= CZ_MIN_MATCH && score_new(n, i - (uint32_t)cand) > best.score) {
            best = (struct choice){n, i - (uint32_t)cand, OTA_CZ_REPS, score_new(n, i - (uint32_t)cand)};
            if (n >= NICE_LEN) {
                break;
            }
        }
    }
    return best;
}

static void insert(struct finder *f, uint32_t i)
{
    if (f->len - i >= 4) {
        uint32_t h = hash4(f->in + i);
        f->prev[i] = f->head[h];
        f->head[h] = (int32_t)i;
    }
}

static void encode_body(struct cz_io *io, struct ota_cz *c, struct finder *f)
{
    for (uint32_t i = 0; i < f->len;) {
        struct choice ch = best_at(f, i, c->rep);
        if (ch.score > 0 && ch.rep_i == OTA_CZ_REPS && ch.len < 64 && i + 1 < f->len) {
            insert(f, i);
            struct choice next = best_at(f, i + 1, c->rep);
            f->head[hash4(f->in + i)] = f->prev[i]; /* inserted again below */
            if (next.score > ch.score + LAZY_MARGIN) {
                ch.score = 0; /* a literal now, the longer match next */
            }
        }
        if (ch.score <= 0) {
            cz_prob_bit(io, cz_is_match(c, i), 0);
            int have = c->rep[0] <= i;
            cz_literal(io, c, f->in[i], have ? f->in[i - c->rep[0]] : 0, have);
            cz_after_literal(c);
            cz_after_byte(c, f->in[i]);
            insert(f, i++);
            continue;
        }
        cz_prob_bit(io, cz_is_match(c, i), 1);
        cz_match(io, c, ch.len, &ch.dist, &ch.rep_i);
        cz_after_match(c, ch.rep_i, ch.dist);
        for (uint32_t k = 0; k < ch.len; k++) {
            cz_after_byte(c, f->in[i]);
            insert(f, i++);
        }
    }
}

int cz_compress(const uint8_t *in, size_t len, struct delta_buf *out)
{
    if (len > UINT32_MAX - 1u) {
        return -1;
    }
    uint8_t hdr[OTA_CZ_HEADER_LEN] = {0};
    put_le32(hdr, OTA_CZ_MAGIC);
    hdr[4] = OTA_CZ_VERSION;
    put_le32(hdr + 8, (uint32_t)len);
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, in, len);
    ota_sha256_finish(&sha, hdr + 16);
    struct finder f = {in, (uint32_t)len, malloc(sizeof(int32_t) << HASH_BITS), malloc(sizeof(int32_t) * (len + 1))};
    struct ota_cz *c = malloc(sizeof(*c));
    struct cz_io io = {RANGE_ENC_INIT(out)};
    int err = !f.head || !f.prev || !c || delta_buf_put(out, hdr, sizeof(hdr));
    if (!err) {
        memset(f.head, 0xff, sizeof(int32_t) << HASH_BITS);
        cz_init(c);
        encode_body(&io, c, &f);
        range_enc_flush(&io.rc);
        err = io.rc.err;
    }
    free(f.head);
    free(f.prev);
    free(c);
    return err ? -1 : 0;
}
