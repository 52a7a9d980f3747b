/*
 * The compressed-image model (docs/compress-format.md), shared word for
 * word by the decoder (core) and the encoder (host tool): both run the
 * same code, which only differs in what cz_bit does (the decoder returns
 * the bit it reads, the encoder writes the bit it is given). Change it only
 * together with OTA_CZ_VERSION.
 *
 * A translation unit defines, before including this file:
 *   struct cz_io;                          the coder
 *   int cz_bit(struct cz_io *io, unsigned p0, int bit);
 * where p0 is the 12-bit probability of a 0.
 */
#ifndef OTA_CZ_MODEL_H
#define OTA_CZ_MODEL_H

#include <string.h>

#include "../delta/compact_model.h"
#include "ota/compress.h"

#define CZ_MIN_MATCH 2u
#define CZ_W_SHIFT 14      /* weights are 2.14 fixed point */
#define CZ_MIX_INIT ((1 << CZ_W_SHIFT) / 2) /* a half each at the start */
#define CZ_MIX_SHIFT 13    /* learning rate: w += s * err >> 13 */
#define CZ_CTR_INIT 32768u    /* counters: 16-bit probability of a 1, one half */
/* How fast each counter follows its context (p moves by 1/2^rate of the
 * way to the bit), measured on the vector releases. */
#define CZ_RATE_O0 3
#define CZ_RATE_O1 2

/* cm_stretch at the middle of each 8-wide step of p (generated from it,
 * checked entry by entry by unit.compact_mix):
 * its bisection cost more than all else of a literal bit. */
static const int16_t cz_stretch_tab[512] = {
-1770, -1504, -1367, -1276, -1219, -1162, -1122, -1085, -1049, -1017, -995, -973, -951, -930, -908, -889,
-876, -862, -848, -834, -820, -806, -793, -779, -766, -757, -748, -739, -731, -722, -713, -704,
-695, -686, -678, -669, -660, -651, -642, -636, -630, -624, -618, -613, -607, -601, -595, -590,
-584, -578, -572, -567, -561, -555, -549, -544, -538, -532, -526, -520, -515, -510, -506, -502,
-498, -494, -490, -486, -482, -478, -474, -470, -466, -462, -458, -454, -450, -447, -443, -439,
-435, -431, -427, -423, -419, -415, -411, -407, -403, -399, -395, -391, -387, -383, -380, -378,
-375, -372, -369, -366, -363, -360, -357, -354, -352, -349, -346, -343, -340, -337, -334, -331,
-328, -325, -323, -320, -317, -314, -311, -308, -305, -302, -299, -297, -294, -291, -288, -285,
-282, -279, -276, -273, -271, -268, -265, -262, -259, -256, -254, -251, -249, -247, -244, -242,
-240, -238, -235, -233, -231, -228, -226, -224, -221, -219, -217, -215, -212, -210, -208, -205,
-203, -201, -198, -196, -194, -192, -189, -187, -185, -182, -180, -178, -175, -173, -171, -168,
-166, -164, -162, -159, -157, -155, -152, -150, -148, -145, -143, -141, -139, -136, -134, -132,
-129, -127, -125, -123, -121, -119, -117, -115, -113, -111, -109, -107, -105, -103, -101, -99,
-96, -94, -92, -90, -88, -86, -84, -82, -80, -78, -76, -74, -72, -70, -68, -66,
-64, -62, -60, -58, -56, -54, -51, -49, -47, -45, -43, -41, -39, -37, -35, -33,
-31, -29, -27, -25, -23, -21, -19, -17, -15, -13, -11, -9, -7, -4, -2, 0,
2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32,
34, 36, 38, 40, 42, 44, 47, 49, 51, 53, 55, 57, 59, 61, 63, 65,
67, 69, 71, 73, 75, 77, 79, 81, 83, 85, 87, 89, 91, 93, 95, 98,
100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122, 124, 126, 128, 130,
133, 135, 137, 140, 142, 144, 146, 149, 151, 153, 156, 158, 160, 163, 165, 167,
169, 172, 174, 176, 179, 181, 183, 186, 188, 190, 192, 195, 197, 199, 202, 204,
206, 209, 211, 213, 216, 218, 220, 222, 225, 227, 229, 232, 234, 236, 239, 241,
243, 245, 248, 250, 252, 255, 257, 260, 263, 266, 269, 272, 274, 277, 280, 283,
286, 289, 292, 295, 298, 300, 303, 306, 309, 312, 315, 318, 321, 324, 326, 329,
332, 335, 338, 341, 344, 347, 350, 352, 355, 358, 361, 364, 367, 370, 373, 376,
379, 381, 384, 388, 392, 396, 400, 404, 408, 412, 416, 420, 424, 428, 432, 436,
440, 444, 448, 451, 455, 459, 463, 467, 471, 475, 479, 483, 487, 491, 495, 499,
503, 507, 511, 516, 521, 527, 533, 539, 544, 550, 556, 562, 568, 573, 579, 585,
591, 596, 602, 608, 614, 619, 625, 631, 637, 643, 652, 661, 670, 679, 687, 696,
705, 714, 723, 732, 740, 749, 758, 767, 780, 794, 807, 821, 835, 849, 863, 877,
890, 908, 929, 950, 971, 992, 1013, 1042, 1081, 1120, 1163, 1220, 1277, 1368, 1504, 1771,
};

/* A counter: the probability of a 1 in 16 bits, moved by a fixed share
 * of the way to each bit (no count: fast adaptation pays best here). */
static inline void cz_ctr_update(uint16_t *s, int bit, unsigned rate)
{
    int p = *s, t = (int)((0u - (unsigned)bit) & 0xFFFFu);
    *s = (uint16_t)(p + ((t - p) >> rate));
}

/* A counter's input to the mixer: its stretch, the table indexed by the
 * top 9 of its 16 bits. */
static inline int cz_ctr_st(uint16_t s)
{
    return cz_stretch_tab[s >> 7];
}

/* A weight learns in 32-bit wrapping arithmetic: no clamp per update.
 * On real data weights stay within a few units (2.14 fixed point), far from
 * the 32-bit limits; a hostile stream can only make them wrap, which the
 * encoder would do alike, and the squash index is clamped anyway. */
static inline void cz_w_learn(int32_t *w, int s, int err)
{
    *w = (int32_t)((uint32_t)*w + (uint32_t)((s * err) >> CZ_MIX_SHIFT));
}

static inline void cz_lz_init(struct ota_cz_lz *z)
{
    memset(z, 0, sizeof(*z));
    uint16_t *probs[] = {z->is_match, z->is_rep, z->rep_idx, z->len_new.nbits, &z->len_new.high[0][0],
                         z->len_rep.nbits, &z->len_rep.high[0][0], &z->dist_nbits[0][0], &z->dist_high[0][0],
                         z->dist_low};
    size_t counts[] = {32, 8, 4, 64, 33 * 8, 64, 33 * 8, OTA_CZ_LEN_CTX * 64, 33 * 8, 16};
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        cm_init_probs(probs[k], counts[k]);
    }
    for (size_t i = 0; i < OTA_CZ_REPS; i++) {
        z->rep[i] = 1;
    }
}

static inline void cz_init(struct ota_cz *c)
{
    memset(c, 0, sizeof(*c));
    cz_lz_init(&c->lz);
    uint16_t *ctrs[] = {c->o0, c->o1};
    size_t ncounts[] = {OTA_CZ_O0_CTRS, 1u << OTA_CZ_O1_BITS};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < ncounts[k]; i++) {
            ctrs[k][i] = CZ_CTR_INIT;
        }
    }
    for (size_t s = 0; s < OTA_CZ_MIX_SETS; s++) {
        for (size_t i = 0; i < OTA_CZ_MIX_INPUTS; i++) {
            c->w[s][i] = CZ_MIX_INIT;
        }
    }
    for (int i = 0; i < (int)OTA_CZ_SQUASH_STEPS; i++) {
        c->squash[i] = (uint16_t)cm_squash(i * 16 - 2040);
    }
    c->range = 0xFFFFFFFFu;
}

static inline int cz_prob_bit(struct cz_io *io, uint16_t *p, int bit)
{
    bit = cz_bit(io, *p, bit);
    cm_update(p, bit);
    return bit;
}

static inline uint32_t cz_tree(struct cz_io *io, uint16_t *probs, unsigned bits, uint32_t v)
{
    uint32_t node = 1;
    for (unsigned i = 0; i < bits; i++) {
        node = (node << 1) | (uint32_t)cz_prob_bit(io, &probs[node], (int)((v >> (bits - 1 - i)) & 1u));
    }
    return node - (1u << bits);
}

/* An integer: bit length n, then the n - 1 bits below the leading one:
 * the first three with context (high[n]), the rest direct but, with low,
 * the last two as a tree (alignment of distances). */
static inline uint32_t cz_int(struct cz_io *io, uint16_t *nbits, uint16_t (*high)[8], uint16_t *low, uint32_t v)
{
    unsigned n = 0;
    while (n < 32 && (v >> n)) {
        n++;
    }
    n = cz_tree(io, nbits, 6, n);
    if (n <= 1) {
        return n;
    }
    n = n > 32 ? 32 : n;
    unsigned rest = n - 1, ctx = rest < 3 ? rest : 3, tail = low && rest >= 5 ? 2 : 0;
    uint32_t r = 1u;
    r = (r << ctx) | cz_tree(io, high[n], ctx, (v >> (rest - ctx)) & ((1u << ctx) - 1u));
    for (unsigned i = ctx; i < rest - tail; i++) {
        uint16_t half = CM_PROB_ONE / 2;
        r = (r << 1) | (uint32_t)cz_bit(io, half, (int)((v >> (rest - 1 - i)) & 1u));
    }
    if (tail) {
        r = (r << 2) | cz_tree(io, low, 2, v & 3u);
    }
    return r;
}

/* A literal bit's prediction: the two counters' stretches and their mix
 * by weight pair w, p1 the probability of a 1 (12 bits). */
struct cz_lit_pred {
    int sa, sb, p1;
};

/* The mix of two stretches by weight pair w: the probability of a 1. */
static inline int cz_lit_mix(const uint16_t *squash, int sa, int sb, const int32_t *w)
{
    uint32_t dot = (uint32_t)w[0] * (uint32_t)sa + (uint32_t)w[1] * (uint32_t)sb;
    int32_t x = (int32_t)dot >> (CZ_W_SHIFT + 4);
    unsigned u = (unsigned)(x + 128); /* the table's step; beyond its ends (rare), its end */
    return squash[u < OTA_CZ_SQUASH_STEPS ? u : x < 0 ? 0u : OTA_CZ_SQUASH_STEPS - 1u];
}

static inline struct cz_lit_pred cz_lit_predict(const uint16_t *squash, uint16_t ca, uint16_t cb, const int32_t *w)
{
    struct cz_lit_pred q = {cz_ctr_st(ca), cz_ctr_st(cb), 0};
    q.p1 = cz_lit_mix(squash, q.sa, q.sb, w);
    return q;
}

/* After a literal bit: the weights and the counters learn it. */
static inline void cz_lit_learn(struct cz_lit_pred q, uint16_t *ca, uint16_t *cb, int32_t *w, int bit)
{
    int err = (bit << 12) - q.p1;
    cz_w_learn(&w[0], q.sa, err);
    cz_w_learn(&w[1], q.sb, err);
    cz_ctr_update(ca, bit, CZ_RATE_O0);
    cz_ctr_update(cb, bit, CZ_RATE_O1);
}

/* One literal's bit: predicted, coded (or decoded), learnt. */
static inline int cz_literal_bit(struct cz_io *io, const uint16_t *squash, uint16_t *ca, uint16_t *cb, int32_t *w,
                                 int bit)
{
    struct cz_lit_pred q = cz_lit_predict(squash, *ca, *cb, w);
    bit = cz_bit(io, CM_PROB_ONE - (unsigned)q.p1, bit);
    cz_lit_learn(q, ca, cb, w, bit);
    return bit;
}

/* The order-0 counters of a literal's bits, by the byte's place in its
 * instruction; within them by agreement (agree << (8 + pb): 0, 256, 512). */
static inline uint32_t cz_o0_base(const struct ota_cz *c)
{
    return (uint32_t)c->ph * (3u << 8);
}

/* The order-1 counters of a literal's bits: by the previous byte's top
 * three bits, the table's 2048 counters exactly (no hash, no collision). */
static inline uint32_t cz_o1_base(uint8_t c1)
{
    return (uint32_t)(c1 >> 5) << 8;
}

/* Within a literal's order-0 counters, those of a bit: by agreement with
 * the predicted byte so far and, while it agrees, its bit pb here. */
static inline unsigned cz_o0_sel(unsigned agree, unsigned pb)
{
    return (256u + (pb << 8)) & (0u - agree); /* agree << (8 + pb), without a shift by a variable */
}

/* The weight pairs of a literal's bits: bit i's is w[(i * 4 + agree * 2) * 3]. */
static inline uint32_t cz_w_base(const struct ota_cz *c, int after_match)
{
    return (after_match ? 3u : 0u) + c->ph;
}

/* One literal; pred is the byte at the latest match distance (have_pred:
 * there is one), a strong hint right after a match ends: while the bits
 * so far agree with it, the order-0 counters are those of its next bit. */
static inline uint8_t cz_literal(struct cz_io *io, struct ota_cz *c, uint8_t lit, uint8_t pred, int have_pred)
{
    unsigned node = 1, agree = have_pred ? 1u : 0u;
    uint16_t *o0 = c->o0 + cz_o0_base(c), *o1 = c->o1 + cz_o1_base(c->c1);
    int32_t(*w)[OTA_CZ_MIX_INPUTS] = c->w + cz_w_base(c, c->since_match == 0);
#if CM_FAST
#pragma GCC unroll 8 /* the bit's place is then a constant: 6 % fewer instructions; not where size is what counts */
#endif
    for (unsigned i = 0; i < 8; i++) {
        unsigned pb = (pred >> (7 - i)) & 1u;
        int bit = cz_literal_bit(io, c->squash, &o0[cz_o0_sel(agree, pb) + node], &o1[node],
                                 w[(i * 4 + agree * 2u) * 3u], (lit >> (7 - i)) & 1);
        node = (node << 1) | (unsigned)bit;
        agree &= (unsigned)bit == pb;
    }
    return (uint8_t)node;
}

/* The bytes histories both sides keep. */
static inline void cz_after_byte(struct ota_cz *c, uint8_t b)
{
    c->c1 = b;
    /* Where an Xtensa instruction would start: op0 (the low nibble of its
     * first byte) 8..13 is a 2-byte one, the rest 3 bytes. In data the
     * phase is noise, and the mixer learns to trust it less there. */
    if (c->ph == 0) {
        c->ilen = (b & 15u) >= 8u && (b & 15u) <= 13u ? 2u : 3u;
    }
    c->ph = (uint8_t)(c->ph + 1u == c->ilen ? 0u : c->ph + 1u);
}

static inline void cz_lz_after_literal(struct ota_cz_lz *z)
{
    z->kinds = (uint8_t)(z->kinds << 1);
}

static inline void cz_after_literal(struct ota_cz *c)
{
    cz_lz_after_literal(&c->lz);
    c->since_match = (uint8_t)(c->since_match < 255 ? c->since_match + 1 : 255);
}

/* A match of distance `dist` taken from recent distance i (OTA_CZ_REPS:
 * a new one): it moves to the front. */
static inline void cz_lz_after_match(struct ota_cz_lz *z, unsigned i, uint32_t dist)
{
    z->kinds = (uint8_t)(z->kinds << 1 | 1u);
    if (i == OTA_CZ_REPS) {
        i = OTA_CZ_REPS - 1;
    }
    for (; i > 0; i--) {
        z->rep[i] = z->rep[i - 1];
    }
    z->rep[0] = dist;
}

static inline void cz_after_match(struct ota_cz *c, unsigned i, uint32_t dist)
{
    cz_lz_after_match(&c->lz, i, dist);
    c->since_match = 0;
}

static inline uint16_t *cz_is_match(struct ota_cz_lz *z, uint32_t pos)
{
    return &z->is_match[(z->kinds & 7u) * 4u + (pos & 3u)];
}

/* Kind of match, length and distance: returns the length; *dist and *rep_i
 * are set (the encoder passes them in). */
static inline uint32_t cz_match(struct cz_io *io, struct ota_cz_lz *z, uint32_t len, uint32_t *dist, unsigned *rep_i)
{
    int rep = cz_prob_bit(io, &z->is_rep[z->kinds & 7u], *rep_i < OTA_CZ_REPS);
    if (rep) {
        *rep_i = cz_tree(io, z->rep_idx, 2, *rep_i);
        *dist = z->rep[*rep_i];
        return cz_int(io, z->len_rep.nbits, z->len_rep.high, NULL, len - 1u) + 1u;
    }
    *rep_i = OTA_CZ_REPS;
    len = cz_int(io, z->len_new.nbits, z->len_new.high, NULL, len - CZ_MIN_MATCH) + CZ_MIN_MATCH;
    unsigned lc = len - CZ_MIN_MATCH < OTA_CZ_LEN_CTX - 1 ? len - CZ_MIN_MATCH : OTA_CZ_LEN_CTX - 1;
    *dist = cz_int(io, z->dist_nbits[lc], z->dist_high, z->dist_low, *dist - 1u) + 1u;
    return len;
}

#endif
