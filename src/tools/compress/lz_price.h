/*
 * The price-based parse's common part, shared by both makers (compressed
 * images and the extra runs of compact patches): prices of the LZ77 match
 * model (struct ota_cz_lz) under its probabilities as they are when a block
 * starts, the hash chains' candidates, and the nodes of a block's cheapest
 * path. Each maker prices its own literals. Include it after
 * compress/cz_model.h.
 */
#ifndef OTA_TOOLS_LZ_PRICE_H
#define OTA_TOOLS_LZ_PRICE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lz_find.h"
#include "ota/compress.h"

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

/* The model's prices as a block's parse starts: of a probability, and of
 * the length integers by L, the integer coded. */
struct lz_prices {
    uint32_t price[4097];
    uint32_t len_rep[CZ_ALL_LENS + 1], len_new[CZ_ALL_LENS + 1];
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
        uint32_t len = lz_common_above(f, pos, (uint32_t)cand, limit, best);
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


/* The lengths' prices as the match model has them now. */
static inline void price_lengths(struct lz_prices *t, const struct ota_cz_lz *z)
{
    for (uint32_t l = 0; l <= CZ_ALL_LENS; l++) {
        t->len_rep[l] = price_int(t->price, z->len_rep.nbits, z->len_rep.high, NULL, l);
        t->len_new[l] = price_int(t->price, z->len_new.nbits, z->len_new.high, NULL, l);
    }
}

/* The match edges out of node nodes[j] (position pos, match bit priced in
 * `match`): the recent distances and the chain's matches at every length
 * up to end. */
static void relax_matches(const struct lz_prices *t, const struct lz_finder *f, const struct ota_cz_lz *z,
                          struct cz_node *nodes, uint32_t j, uint32_t pos, uint32_t end, uint32_t match,
                          const struct cz_cand *cands, unsigned ncands)
{
    const uint32_t *price = t->price;
    const struct cz_node *nd = &nodes[j];
    uint32_t rep = match + price_bit(price, z->is_rep[nd->kinds & 7u], 1);
    for (unsigned r = 0; r < OTA_CZ_REPS; r++) {
        if (nd->rep[r] > pos) {
            continue;
        }
        uint32_t n = lz_common(f, pos, pos - nd->rep[r], end - pos);
        uint32_t base = rep + price_tree(price, z->rep_idx, 2, r);
        for (uint32_t l = n > CZ_ALL_LENS ? n : 1; l <= n; l++) {
            uint32_t cost = base + (l - 1u <= CZ_ALL_LENS ? t->len_rep[l - 1u]
                                                          : price_int(price, z->len_rep.nbits, z->len_rep.high, NULL, l - 1u));
            relax(&nodes[j + l], nd, cost, l, nd->rep[r], r);
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
                            (L <= CZ_ALL_LENS ? t->len_new[L] : price_int(price, z->len_new.nbits, z->len_new.high, NULL, L));
            relax(&nodes[j + l], nd, cost, l, d, OTA_CZ_REPS);
        }
        from = n + 1;
    }
}

/* The cheapest path from node 0 to node n, linked forwards: walked back
 * from n, each node's cost (no longer needed) becomes its successor. */
static void link_path_forwards(struct cz_node *nodes, uint32_t n)
{
    while (n > 0) {
        uint32_t step = nodes[n].len ? nodes[n].len : 1u;
        nodes[n - step].cost = n;
        n -= step;
    }
}

#endif
