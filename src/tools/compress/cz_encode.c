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

/* Prices, the bits a choice is estimated to cost under the model as it is
 * when a block's parse starts, in 1/32 bit. */
#define CZ_PRICE_ONE 32u
#define CZ_INF 0xFFFFFFFFu
#define CZ_PARSE_BLOCK 2048u /* positions parsed at once: prices are those of the block's start */
#define CZ_NICE_LEN 256u     /* a match this long is taken at once */
#define CZ_ALL_LENS 64u      /* up to this length every length of a match is tried; beyond, only its whole */
#define CZ_MAX_CANDS 64u

struct cz_node {
    uint32_t cost, len, dist; /* len 0: reached by a literal */
    uint32_t rep[OTA_CZ_REPS];
    unsigned rep_i;
    uint8_t kinds, after_match;
};

struct cz_cand {
    uint32_t len, dist;
};

struct cz_parser {
    struct lz_finder *f;
    struct ota_cz *hist; /* the byte histories (c1, instruction phase) as the parse walks on */
    struct cz_node *nodes;
    uint32_t price[4097];
    uint32_t len_rep[CZ_ALL_LENS + 1], len_new[CZ_ALL_LENS + 1]; /* by L, the integer coded */
};

static void price_init(uint32_t *price)
{
    for (unsigned x = 1; x <= 4096; x++) {
        price[x] = (uint32_t)(-log2(x / 4096.0) * CZ_PRICE_ONE + 0.5);
    }
    price[0] = price[1];
}

/* The price of coding `bit` where p0 is the probability of a 0. */
static inline uint32_t price_bit(const uint32_t *price, unsigned p0, int bit)
{
    return price[bit ? 4096u - p0 : p0];
}

static uint32_t price_tree(const uint32_t *price, const uint16_t *probs, unsigned bits, uint32_t v)
{
    uint32_t node = 1, sum = 0;
    for (unsigned i = 0; i < bits; i++) {
        int b = (int)((v >> (bits - 1 - i)) & 1u);
        sum += price_bit(price, probs[node], b);
        node = (node << 1) | (uint32_t)b;
    }
    return sum;
}

/* cz_int's bits, priced. */
static uint32_t price_int(const uint32_t *price, const uint16_t *nbits, const uint16_t (*high)[8], const uint16_t *low,
                          uint32_t v)
{
    unsigned n = 0;
    while (n < 32 && (v >> n)) {
        n++;
    }
    uint32_t sum = price_tree(price, nbits, 6, n);
    if (n <= 1) {
        return sum;
    }
    unsigned rest = n - 1, ctx = rest < 3 ? rest : 3, tail = low && rest >= 5 ? 2 : 0;
    sum += price_tree(price, high[n], ctx, (v >> (rest - ctx)) & ((1u << ctx) - 1u));
    sum += (rest - ctx - tail) * CZ_PRICE_ONE;
    return tail ? sum + price_tree(price, low, 2, v & 3u) : sum;
}

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
        unsigned p1 = (unsigned)cz_lit_predict(c->squash, o0[(agree << (8 + pb)) + node], o1[node], wi).p1;
        unsigned bit = (lit >> (7 - i)) & 1u;
        sum += price_bit(price, CM_PROB_ONE - p1, (int)bit);
        node = (node << 1) | bit;
        agree &= bit == pb;
    }
    return sum;
}

/* The matches at pos by hash chain, each longer than the one before
 * (nearer first); their length at most limit. */
static unsigned collect(const struct lz_finder *f, uint32_t pos, uint32_t limit, struct cz_cand *out)
{
    unsigned n = 0;
    uint32_t best = LZ_MIN_MATCH - 1u;
    if (f->len - pos < 4) {
        return 0;
    }
    int32_t cand = f->head[lz_hash4(f->in + pos)];
    for (unsigned depth = 0; cand >= 0 && depth < LZ_CHAIN_DEPTH && n < CZ_MAX_CANDS; depth++, cand = f->prev[cand]) {
        uint32_t len = lz_common(f, pos, (uint32_t)cand, limit);
        if (len > best) {
            best = len;
            out[n++] = (struct cz_cand){len, pos - (uint32_t)cand};
            if (len >= CZ_NICE_LEN) {
                break;
            }
        }
    }
    return n;
}

static void relax(struct cz_node *to, const struct cz_node *from, uint32_t cost, uint32_t len, uint32_t dist,
                  unsigned rep_i)
{
    if (cost >= to->cost) {
        return;
    }
    to->cost = cost;
    to->len = len;
    to->dist = dist;
    to->rep_i = rep_i;
    memcpy(to->rep, from->rep, sizeof(to->rep));
    if (len == 0) {
        to->kinds = (uint8_t)(from->kinds << 1);
        to->after_match = 0;
        return;
    }
    struct ota_cz_lz z;
    z.kinds = from->kinds;
    memcpy(z.rep, from->rep, sizeof(z.rep));
    cz_lz_after_match(&z, rep_i, dist);
    to->kinds = z.kinds;
    memcpy(to->rep, z.rep, sizeof(z.rep));
    to->after_match = 1;
}

/* The edges out of node j (position pos): a literal, the recent distances
 * and the chain's matches at every length up to the block's end. */
static void relax_from(struct cz_parser *ps, const struct ota_cz *c, uint32_t j, uint32_t pos, uint32_t end,
                       const struct cz_cand *cands, unsigned ncands)
{
    const uint32_t *price = ps->price;
    const struct cz_node *nd = &ps->nodes[j];
    const struct ota_cz_lz *z = &c->lz;
    const uint8_t *in = ps->f->in;
    unsigned flag = (nd->kinds & 7u) * 4u + (pos & 3u);
    int have = nd->rep[0] <= pos;
    uint32_t lit = nd->cost + price_bit(price, z->is_match[flag], 0) +
                   price_literal(price, c, ps->hist, in[pos], have ? in[pos - nd->rep[0]] : 0, have, nd->after_match);
    relax(&ps->nodes[j + 1], nd, lit, 0, 0, 0);
    uint32_t match = nd->cost + price_bit(price, z->is_match[flag], 1);
    uint32_t rep = match + price_bit(price, z->is_rep[nd->kinds & 7u], 1);
    for (unsigned r = 0; r < OTA_CZ_REPS; r++) {
        if (nd->rep[r] > pos) {
            continue;
        }
        uint32_t n = lz_common(ps->f, pos, pos - nd->rep[r], end - pos);
        uint32_t base = rep + price_tree(price, z->rep_idx, 2, r);
        for (uint32_t l = n > CZ_ALL_LENS ? n : 1; l <= n; l++) {
            uint32_t cost = base + (l - 1u <= CZ_ALL_LENS ? ps->len_rep[l - 1u]
                                                          : price_int(price, z->len_rep.nbits, z->len_rep.high, NULL, l - 1u));
            relax(&ps->nodes[j + l], nd, cost, l, nd->rep[r], r);
        }
    }
    uint32_t fresh = match + price_bit(price, z->is_rep[nd->kinds & 7u], 0), from = LZ_MIN_MATCH;
    for (unsigned k = 0; k < ncands; k++) {
        uint32_t n = cands[k].len < end - pos ? cands[k].len : end - pos, d = cands[k].dist, dp[OTA_CZ_LEN_CTX];
        for (unsigned lc = 0; lc < OTA_CZ_LEN_CTX; lc++) {
            dp[lc] = price_int(price, z->dist_nbits[lc], z->dist_high, z->dist_low, d - 1u);
        }
        for (uint32_t l = n > CZ_ALL_LENS ? n : from; l <= n; l++) {
            unsigned lc = l - LZ_MIN_MATCH < OTA_CZ_LEN_CTX - 1 ? l - LZ_MIN_MATCH : OTA_CZ_LEN_CTX - 1;
            uint32_t L = l - LZ_MIN_MATCH;
            uint32_t cost = fresh + dp[lc] +
                            (L <= CZ_ALL_LENS ? ps->len_new[L] : price_int(price, z->len_new.nbits, z->len_new.high, NULL, L));
            relax(&ps->nodes[j + l], nd, cost, l, d, OTA_CZ_REPS);
        }
        from = n + 1;
    }
}
/* A literal, coded: the model learns it. */
static void emit_literal(struct cz_io *io, struct ota_cz *c, const uint8_t *in, uint32_t i)
{
    cz_prob_bit(io, cz_is_match(&c->lz, i), 0);
    int have = c->lz.rep[0] <= i;
    cz_literal(io, c, in[i], have ? in[i - c->lz.rep[0]] : 0, have);
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
    for (uint32_t l = 0; l <= CZ_ALL_LENS; l++) {
        ps->len_rep[l] = price_int(ps->price, c->lz.len_rep.nbits, c->lz.len_rep.high, NULL, l);
        ps->len_new[l] = price_int(ps->price, c->lz.len_new.nbits, c->lz.len_new.high, NULL, l);
    }
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
    uint32_t j = end - i;
    while (j > 0) { /* link the path forwards: each node's cost, no longer needed, becomes its successor */
        uint32_t step = nodes[j].len ? nodes[j].len : 1u;
        nodes[j - step].cost = j;
        j -= step;
    }
    for (j = 0; j < end - i;) {
        uint32_t to = nodes[j].cost;
        struct cz_node *nd = &nodes[to];
        if (nd->len == 0) {
            emit_literal(io, c, ps->f->in, i + j);
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
    struct cz_parser *ps = malloc(sizeof(*ps));
    struct ota_cz *hist = calloc(1, sizeof(*hist));
    struct cz_node *nodes = malloc(sizeof(*nodes) * (CZ_PARSE_BLOCK + 1u));
    struct cz_io io = {RANGE_ENC_INIT(out)};
    int err = nomem || !c || !ps || !hist || !nodes || delta_buf_put(out, hdr, sizeof(hdr));
    if (!err) {
        *ps = (struct cz_parser){&f, hist, nodes, {0}, {0}, {0}};
        price_init(ps->price);
        cz_init(c);
        encode_body(&io, c, ps, sync);
        range_enc_flush(&io.rc);
        err = io.rc.err;
    }
    lz_finder_free(&f);
    free(c);
    free(ps);
    free(hist);
    free(nodes);
    return err ? -1 : 0;
}
