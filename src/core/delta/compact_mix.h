/*
 * The compact format's model of extra bytes (new code and data the old
 * image has no match for): three predictions of each bit, from the bits of
 * the byte so far and the byte's phase (order 0), with the new image's
 * byte before (order 1, hashed into a small table; at an instruction's
 * last byte, the instruction's opcode nibbles instead), and from the byte
 * the last match distance points at (a matched literal), mixed in the
 * logistic domain by weights that learn which one to trust (an order-2
 * input in a table as small measured no gain). All
 * integer arithmetic, so encoder and decoder predict exactly the same on
 * any machine. Part of the model: change it only with the format version.
 */
#ifndef OTA_DELTA_COMPACT_MIX_H
#define OTA_DELTA_COMPACT_MIX_H

#include "ota/delta.h"
#if CM_FAST
#include "compact_stretch.h"
#endif

#define CM_MIX_INPUTS 3
#define CM_MIX_W_ONE 65536    /* weight 1.0 */
#define CM_MIX_W_INIT 19661   /* 0.3 each at the start */
#define CM_MIX_LR 1           /* weight learning rate (2 in format 6: 0.03 % larger patches now) */
#define CM_MIX_W_MAX (8 * CM_MIX_W_ONE)
#define CM_CTR_INIT (2048u << 4)

/* 4096 / (1 + e^-x) at x = (i - 16) / 2, i = 0..32: the logistic curve
 * (squash_knots.c: one copy where both decoders are linked). */
#define CM_SQUASH_KNOTS 33
extern const int16_t cm_squash_knots[CM_SQUASH_KNOTS];

/* The curve between its knots, 128 steps apart: x in -2047..2047 is the
 * logit scaled by 256, the result a 12-bit probability. */
static inline int cm_squash(int x)
{
    const int16_t *t = cm_squash_knots;
#if CM_FAST
    /* the ends of the curve are its values at +-2047: clamped, not branched */
    x = x > 2047 ? 2047 : x;
    x = x < -2047 ? -2047 : x;
#else
    if (x > 2047) {
        return 4094;
    }
    if (x < -2047) {
        return 1;
    }
#endif
    unsigned u = (unsigned)(x + 2048), i = u >> 7, w = u & 127u;
    return (int)((t[i] * (128u - w) + t[i + 1] * w + 64u) >> 7);
}

/* The least knot k with t[k] >= max(64 i, 2) (a knot at or past the start of
 * p's 64-wide step). */
static const uint8_t cm_stretch_first[64] = {1,  8,  10, 10, 11, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14,
                                             14, 14, 15, 15, 15, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16,
                                             17, 17, 17, 17, 17, 17, 17, 17, 18, 18, 18, 18, 18, 18, 18, 19,
                                             19, 19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 22, 23, 23, 25};

/* The inverse of cm_squash: the least x in -2047..2047 with cm_squash(x) >= p
 * (2047 when there is none). It runs twice per bit of every extra
 * byte, so it finds the knot interval by a bisection over eight knots and
 * solves the interpolation there in closed form, rather than bisecting
 * cm_squash itself (12 evaluations); no table in RAM either way. A unit test
 * checks it against the definition for every p. */
static inline int cm_stretch(int p)
{
    const int16_t *t = cm_squash_knots;
    if (p <= 1) {
        return -2047;
    }
    if (p > 4094) {
        return 2047;
    }
    /* the least k with t[k] >= p (t[0] < p <= t[32]): one of the eight
     * knots from cm_stretch_first[p / 64] on (no 64-wide step of p spans
     * more), found by three halvings with no data-dependent branch, which
     * a CPU mispredicts */
    unsigned lo = cm_stretch_first[(unsigned)p >> 6];
    lo += t[lo + 3] < p ? 4u : 0u;
    lo += t[lo + 1] < p ? 2u : 0u;
    lo += t[lo] < p ? 1u : 0u;
    /* On (x_{k-1}, x_k], cm_squash = (a (128 - w) + b w + 64) >> 7 with
     * w = x - x_{k-1}: it reaches p for the least w with
     * (b - a) w >= 128 (p - a) - 64, which is positive as a < p. The result
     * stays in range: w >= 1 in the first interval, w <= 64 in the last. */
    int a = t[lo - 1], b = t[lo];
    int need = 128 * (p - a) - 64;
    return (int)(lo - 1) * 128 - 2048 + (need + (b - a) - 1) / (b - a);
}

/* A mixer input: the stretch of a 12-bit probability p (0..4095). */
static inline int cm_st(int p)
{
#if CM_FAST
    return cm_stretch_tab[p & 4095];
#else
    return cm_stretch(p);
#endif
}

/* A counter: probability of a 1 (12 bits, high) and how often it was seen
 * (4 bits, low): young counters move fast, old ones settle. */
static inline int cm_ctr_p(uint16_t s)
{
    int p = s >> 4;
    return p < 1 ? 1 : p > 4095 ? 4095 : p;
}

/* The divisors settle at 14 (32 in format 6): the hashed tables are
 * shared by many contexts, and a counter that follows the latest ones
 * predicts better (0.1 % smaller patches). */
static inline void cm_ctr_update(uint16_t *s, int bit)
{
    static const uint8_t div[16] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 14, 14};
    int p = *s >> 4, n = *s & 15;
#if CM_FAST
    /* mostly a settled counter: a division by a constant, a multiplication */
    p += n >= 12 ? ((bit << 12) - p) / 14 : ((bit << 12) - p) / div[n];
#else
    p += ((bit << 12) - p) / div[n];
#endif
    p = p < 16 ? 16 : p > 4080 ? 4080 : p;
    *s = (uint16_t)((unsigned)p << 4 | (unsigned)(n < 15 ? n + 1 : 15));
}

/* One bit of an extra byte in flight: where its inputs live. */
struct cm_mix {
    uint16_t *o1, *om;
    ota_delta_prob *o0;
    int st[CM_MIX_INPUTS];
    int p1;                   /* mixed probability of a 1 */
    int32_t *w;
};

static inline uint32_t cm_hash(uint32_t v, unsigned bits)
{
    return (v * 2654435761u) >> (32u - bits);
}

/* The order-1 input's context byte. At the last byte of an instruction
 * (phase 1), the byte two back is the first byte of a 3-byte one, whose low
 * nibble (op0) says its format, and the high nibble of the byte before is
 * its r field (a sub-opcode in RRR): together they tell what the last byte
 * (op1, op2 or an immediate) holds better than the byte before alone. */
static inline uint32_t cm_x1_ctx(const struct ota_delta_compact *c)
{
    if (c->phase == 1) {
        return 0x100u | (uint32_t)(c->n2 & 15u) << 4 | (uint32_t)(c->n1 >> 4);
    }
    return c->n1;
}

/* The matched-byte input's counter: the byte at the last match distance
 * predicts the extra byte (as LZMA's matched literals), bit by bit while
 * its bits agree with the ones so far, by bit position, the bit it
 * predicts and whether a match came just before (then the byte differs
 * from the match's next one, mostly). NULL once a bit differed: the input
 * is left out for the rest of the byte (as good, and cheaper to decode). */
static inline uint16_t *cm_xm_counter(struct ota_delta_compact *c, unsigned node, unsigned bitpos)
{
    unsigned mb = c->mbyte | 0x100u, predicted = (mb >> (7u - bitpos)) & 1u;
    if ((mb >> (8u - bitpos)) != node) {
        return NULL;
    }
    unsigned ctx = bitpos * 2u + predicted;
    return &c->xm[(c->lz.kinds & 2u) ? ctx + 16u : ctx];
}

/* The probability (of a 0, as the coder takes it) of bit `bitpos` (0 = the
 * most significant) of an extra byte whose bits so far make tree node `node`. */
static inline unsigned cm_mix_predict(struct ota_delta_compact *c, struct cm_mix *m, unsigned node, unsigned bitpos)
{
    m->o0 = &c->extra[c->phase][node];
    m->o1 = &c->x1[cm_hash(cm_x1_ctx(c) << 8 | node, OTA_DELTA_X1_BITS)];
    m->om = cm_xm_counter(c, node, bitpos);
    m->w = c->xw[c->phase][bitpos][(c->lz.kinds >> 1) & 1u]; /* and whether a match came just before */
    m->st[0] = cm_st((int)CM_PROB_ONE - *m->o0);
    m->st[1] = cm_st(cm_ctr_p(*m->o1));
    m->st[2] = m->om ? cm_st(cm_ctr_p(*m->om)) : 0;
    int64_t dot = (int64_t)m->w[0] * m->st[0] + (int64_t)m->w[1] * m->st[1];
    if (m->om) { /* else its input is 0 */
        dot += (int64_t)m->w[2] * m->st[2];
    }
    m->p1 = cm_squash((int)(dot / CM_MIX_W_ONE));
    return CM_PROB_ONE - (unsigned)m->p1;
}

static inline void cm_w_learn(int32_t *w, int st, int err)
{
    int32_t v = *w + (st * err * CM_MIX_LR) / 1024;
    *w = v > CM_MIX_W_MAX ? CM_MIX_W_MAX : v < -CM_MIX_W_MAX ? -CM_MIX_W_MAX : v; /* no overflow, whatever the patch */
}

static inline void cm_mix_update(struct cm_mix *m, int bit)
{
    int err = (bit << 12) - m->p1;
#if CM_FAST
    cm_w_learn(&m->w[0], m->st[0], err);
    cm_w_learn(&m->w[1], m->st[1], err);
    if (m->om) { /* else its input was 0, which moves no weight */
        cm_w_learn(&m->w[2], m->st[2], err);
    }
#else
    for (int i = 0; i < (m->om ? CM_MIX_INPUTS : CM_MIX_INPUTS - 1); i++) {
        cm_w_learn(&m->w[i], m->st[i], err);
    }
#endif
    cm_update(m->o0, bit);
    cm_ctr_update(m->o1, bit);
    if (m->om) {
        cm_ctr_update(m->om, bit);
    }
}

static inline void cm_mix_init(struct ota_delta_compact *c)
{
    for (size_t i = 0; i < sizeof(c->x1) / sizeof(c->x1[0]); i++) {
        c->x1[i] = CM_CTR_INIT;
    }
    for (size_t i = 0; i < sizeof(c->xm) / sizeof(c->xm[0]); i++) {
        c->xm[i] = CM_CTR_INIT;
    }
    int32_t *w = &c->xw[0][0][0][0];
    for (size_t i = 0; i < sizeof(c->xw) / sizeof(*w); i++) {
        w[i] = CM_MIX_W_INIT;
    }
}

#endif
