/*
 * Compressor of app images (docs/compress-format.md): an LZ77 parse over
 * the whole image so far (hash chains, any distance), coded with the model
 * the device decodes with (src/core/compress/cz_model.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cz_make.h"
#include "lz_find.h"
#include "range_enc.h"
#include "xt_code.h"
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
#include "lz_price.h" /* after the model: it uses its updates */

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

struct cz_parser {
    struct lz_finder *f; /* over the coded image: what literals and matches code */
    const uint8_t *raw;  /* the image: what a literal's predicted byte is read from */
    struct ota_cz *hist; /* the byte histories (c1, instruction phase) as the parse walks on */
    struct cz_node *nodes;
    struct lz_prices pr;
};

/* cz_literal's bits, priced without learning: h holds the byte histories. */
static uint32_t price_literal(const uint32_t *price, const struct ota_cz *c, const struct ota_cz *h, uint8_t lit,
                              uint8_t pred, int have_pred, int after_match)
{
    unsigned node = 1, agree = have_pred ? 1u : 0u;
    const uint16_t *o0 = c->o0 + cz_o0_base(h), *o1 = c->o1 + cz_o1_base(h->c1);
    const int32_t(*w)[OTA_CZ_MIX_INPUTS] = c->w + cz_w_base(h, after_match);
    uint32_t sum = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned pb = (pred >> (7 - i)) & 1u;
        const int32_t *wi = w[(i * 4 + agree * 2u) * 3u];
        unsigned p1 = (unsigned)cz_lit_predict(c->squash, o0[cz_o0_sel(agree, pb) + node], o1[node], wi).p1;
        unsigned bit = (lit >> (7 - i)) & 1u;
        sum += price_bit(price, CM_PROB_ONE - p1, (int)bit);
        node = (node << 1) | bit;
        agree &= bit == pb;
    }
    return sum;
}

/* The edges out of node j (position pos): a literal, the recent distances
 * and the chain's matches at every length up to the block's end. */
static void relax_from(struct cz_parser *ps, const struct ota_cz *c, uint32_t j, uint32_t pos, uint32_t end,
                       const struct cz_cand *cands, unsigned ncands)
{
    const uint32_t *price = ps->pr.price;
    const struct cz_node *nd = &ps->nodes[j];
    const struct ota_cz_lz *z = &c->lz;
    const uint8_t *in = ps->f->in, *raw = ps->raw;
    unsigned flag = (nd->kinds & 7u) * 4u + (pos & 3u);
    int have = nd->rep[0] <= pos;
    uint32_t lit = nd->cost + price_bit(price, z->is_match[flag], 0) +
                   price_literal(price, c, ps->hist, in[pos], have ? raw[pos - nd->rep[0]] : 0, have, nd->after_match);
    relax(&ps->nodes[j + 1], nd, lit, 0, 0, 0);
    uint32_t match = nd->cost + price_bit(price, z->is_match[flag], 1);
    relax_matches(&ps->pr, ps->f, z, ps->nodes, j, pos, end, match, cands, ncands);
}

/* A literal, coded: the model learns it. */
static void emit_literal(struct cz_io *io, struct ota_cz *c, const uint8_t *in, const uint8_t *raw, uint32_t i)
{
    cz_prob_bit(io, cz_is_match(&c->lz, i), 0);
    int have = c->lz.rep[0] <= i;
    cz_literal(io, c, in[i], have ? raw[i - c->lz.rep[0]] : 0, have);
    cz_after_literal(c);
    cz_after_byte(c, in[i]);
}

static void emit_match(struct cz_io *io, struct ota_cz *c, const uint8_t *in, uint32_t i, uint32_t len, uint32_t dist,
                       unsigned rep_i)
{
    cz_prob_bit(io, cz_is_match(&c->lz, i), 1);
    cz_match(io, &c->lz, len, &dist, &rep_i);
    cz_after_match(c, rep_i, dist);
    for (uint32_t k = 0; k < len; k++) {
        cz_after_byte(c, in[i + k]);
    }
}

/* The block's start: its node is the model's state, the rest not reached;
 * the prices of lengths as the model has them now. */
static void block_start(struct cz_parser *ps, const struct ota_cz *c, uint32_t n)
{
    struct cz_node *nodes = ps->nodes;
    nodes[0] = (struct cz_node){0, 0, 0, {0}, 0, c->lz.kinds, c->since_match == 0};
    memcpy(nodes[0].rep, c->lz.rep, sizeof(nodes[0].rep));
    for (uint32_t j = 1; j <= n; j++) {
        nodes[j].cost = CZ_INF;
    }
    price_lengths(&ps->pr, &c->lz);
    ps->hist->c1 = c->c1;
    ps->hist->ph = c->ph;
    ps->hist->ilen = c->ilen;
}

/* The cheapest way through positions i.. up to stop, at most one block
 * (shorter where a long match starts): returns where it ends. Every
 * position parsed is in the hash chains after. */
static uint32_t parse_block(struct cz_parser *ps, const struct ota_cz *c, uint32_t i, uint32_t stop)
{
    uint32_t end = stop - i > CZ_PARSE_BLOCK ? i + CZ_PARSE_BLOCK : stop;
    struct cz_cand cands[CZ_MAX_CANDS];
    block_start(ps, c, end - i);
    for (uint32_t pos = i; pos < end; pos++) {
        unsigned n = collect(ps->f, pos, stop - pos, cands);
        if (pos > i && n && cands[n - 1].len >= CZ_NICE_LEN) {
            return pos;
        }
        lz_insert(ps->f, pos);
        relax_from(ps, c, pos - i, pos, end, cands, n);
        cz_after_byte(ps->hist, ps->f->in[pos]);
    }
    return end;
}

/* The parse from i to end, coded: the path walked back from end, then forwards. */
static void emit_block(struct cz_io *io, struct cz_parser *ps, struct ota_cz *c, uint32_t i, uint32_t end)
{
    struct cz_node *nodes = ps->nodes;
    link_path_forwards(nodes, end - i);
    for (uint32_t j = 0; j < end - i;) {
        uint32_t to = nodes[j].cost;
        struct cz_node *nd = &nodes[to];
        if (nd->len == 0) {
            emit_literal(io, c, ps->f->in, ps->raw, i + j);
        } else {
            emit_match(io, c, ps->f->in, i + j, nd->len, nd->dist, nd->rep_i);
        }
        j = to;
    }
}

static void encode_body(struct cz_io *io, struct ota_cz *c, struct cz_parser *ps, uint32_t sync)
{
    struct lz_finder *f = ps->f;
    uint32_t stop = sync && sync < f->len ? sync : (uint32_t)f->len;
    for (uint32_t i = 0; i < f->len;) {
        if (i == stop) {
            sync_point(io, c);
            stop = f->len - stop > sync ? stop + sync : (uint32_t)f->len;
        }
        struct lz_choice ch = lz_best_at(f, i, c->lz.rep, stop - i);
        if (ch.len >= CZ_NICE_LEN) {
            emit_match(io, c, f->in, i, ch.len, ch.dist, ch.rep_i);
            for (uint32_t k = 0; k < ch.len; k++) {
                lz_insert(f, i++);
            }
            continue;
        }
        uint32_t end = parse_block(ps, c, i, stop);
        emit_block(io, ps, c, i, end);
        i = end;
    }
}

int cz_compress(const uint8_t *in, size_t len, struct delta_buf *out)
{
    return cz_compress_sync(in, len, OTA_CZ_SYNC_DEFAULT, out);
}

int cz_compress_sync(const uint8_t *in, size_t len, uint32_t sync, struct delta_buf *out)
{
    return cz_compress_code(in, len, sync, 1, out);
}

int cz_compress_code(const uint8_t *in, size_t len, uint32_t sync, int code, struct delta_buf *out)
{
    if (len > UINT32_MAX - 1u || !sync || sync % OTA_CZ_SYNC_UNIT) {
        return -1;
    }
    uint8_t hdr[OTA_CZ_HEADER_LEN] = {0};
    put_le32(hdr, OTA_CZ_MAGIC);
    hdr[4] = OTA_CZ_VERSION;
    struct xt_code xt;
    code = code ? xt_code_make(&xt, in, (uint32_t)len, sync) : 0;
    hdr[5] = code == 1 ? OTA_CZ_FLAG_XTENSA : 0;
    put_le32(hdr + 8, (uint32_t)len);
    put_le32(hdr + 12, sync);
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, in, len);
    ota_sha256_finish(&sha, hdr + 16);
    struct lz_finder f;
    int nomem = lz_finder_init(&f, code == 1 ? xt.coded : in, len) || code < 0;
    if (code == 1) {
        f.copyable = xt_code_copyable;
        f.copy_ctx = &xt;
    }
    struct ota_cz *c = malloc(sizeof(*c));
    struct cz_parser *ps = malloc(sizeof(*ps));
    struct ota_cz *hist = calloc(1, sizeof(*hist));
    struct cz_node *nodes = malloc(sizeof(*nodes) * (CZ_PARSE_BLOCK + 1u));
    struct cz_io io = {RANGE_ENC_INIT(out)};
    int err = nomem || !c || !ps || !hist || !nodes || delta_buf_put(out, hdr, sizeof(hdr));
    if (!err) {
        *ps = (struct cz_parser){&f, in, hist, nodes, {{0}, {0}, {0}}};
        price_init(ps->pr.price);
        cz_init(c);
        encode_body(&io, c, ps, sync);
        range_enc_flush(&io.rc);
        err = io.rc.err;
    }
    lz_finder_free(&f);
    if (code == 1) {
        xt_code_free(&xt);
    }
    free(c);
    free(ps);
    free(hist);
    free(nodes);
    return err ? -1 : 0;
}
