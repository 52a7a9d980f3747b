/*
 * The compact format's model, shared word for word by the decoder (core)
 * and the encoder (host tool) so that both predict the same: an adaptive
 * binary range coder (12-bit probabilities) and the contexts of each
 * symbol. docs/delta-format.md describes it; change it only together with
 * OTA_DELTA_COMPACT_VERSION.
 */
#ifndef OTA_DELTA_COMPACT_MODEL_H
#define OTA_DELTA_COMPACT_MODEL_H

#include "ota/delta.h"

#define CM_PROB_BITS 12u
#define CM_PROB_ONE (1u << CM_PROB_BITS)
#define CM_RATE 4u
#define CM_TOP (1u << 24)
#define CM_MANTISSA_CTX_BITS 3u  /* mantissa bits below the leading one coded with context */

/* Builds optimised for speed take the faster forms of a few steps (a
 * table, a branch less); builds for size keep the smaller ones. Both
 * compute the same. */
#if defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#define CM_FAST 1
#else
#define CM_FAST 0
#endif

static inline void cm_update(ota_delta_prob *p, int bit)
{
#if CM_FAST
    /* both ways computed, one kept: no branch on a bit a CPU cannot predict */
    unsigned v = *p, up = v + ((CM_PROB_ONE - v) >> CM_RATE), down = v - (v >> CM_RATE);
    *p = (ota_delta_prob)(bit ? down : up);
#else
    if (bit) {
        *p = (ota_delta_prob)(*p - (*p >> CM_RATE));
    } else {
        *p = (ota_delta_prob)(*p + ((CM_PROB_ONE - *p) >> CM_RATE));
    }
#endif
}

/* The tree of an integer's first mantissa bits, chosen by its bit length. */
static inline ota_delta_prob *cm_int_high(struct ota_delta_int_model *m, unsigned n)
{
    return m->high[n < OTA_DELTA_INT_HIGH ? n : OTA_DELTA_INT_HIGH - 1u];
}

static inline void cm_init_probs(ota_delta_prob *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = CM_PROB_ONE / 2;
    }
}

/* Context of "is this diff byte zero": whether the last eight diff bytes
 * were, the low nibble (the Xtensa opcode field) of the old byte under the
 * cursor and the byte's phase (where in an instruction it sits), hashed to
 * the table size. */
static inline unsigned cm_zero_ctx(const struct ota_delta_compact *c, uint8_t old0)
{
    unsigned h = (unsigned)c->nz_hist;
    h = h * 16u + (old0 & 15u);
    h = h * 4u + c->phase;
    return (h * 2654435761u) >> (32u - OTA_DELTA_ZERO_CTX_BITS);
}

/* Context of a non-zero diff byte's value: whether the two diff bytes
 * before were non-zero (inside a changed operand, or at its start). Few
 * contexts learn faster than the old byte's opcode bits would pay back. */
static inline unsigned cm_diff_ctx(const struct ota_delta_compact *c)
{
    return c->nz_hist & (OTA_DELTA_DIFF_CTX - 1u);
}

static inline unsigned cm_repeat_ctx(const struct ota_delta_compact *c, uint32_t new_pos)
{
    return ((c->nz_hist & 3u) << 2) | (new_pos & 3u);
}

/* After a diff byte: shift the histories both sides keep. */
static inline void cm_after_diff(struct ota_delta_compact *c, uint8_t diff, uint8_t old0, uint32_t new_pos)
{
    c->nz_hist = (uint8_t)((c->nz_hist << 1) | (diff != 0));
    c->old2 = c->old1;
    c->old1 = old0;
    if (diff) {
        c->last_nz[new_pos & 3u] = diff;
    }
}

/* A seek either names one of the recent alignments (old offset minus new
 * offset of the next diff byte: code moved by one insertion or deletion
 * returns to an alignment seen before) or is coded as a number. */
static inline unsigned cm_rep_ctx(const struct ota_delta_compact *c)
{
    return c->rep_hist & 3u;
}

/* Which recent alignment equals a, or OTA_DELTA_REPS. */
static inline unsigned cm_rep_find(const struct ota_delta_compact *c, int32_t a)
{
    unsigned i = 0;
    while (i < OTA_DELTA_REPS && c->rep[i] != a) {
        i++;
    }
    return i;
}

/* Alignment a (found at index i, or new when i == OTA_DELTA_REPS) moves
 * to the front. */
static inline void cm_rep_use(struct ota_delta_compact *c, unsigned i, int32_t a)
{
    c->rep_hist = (uint8_t)((c->rep_hist << 1) | (i < OTA_DELTA_REPS));
    if (i == OTA_DELTA_REPS) {
        i = OTA_DELTA_REPS - 1;
    }
    for (; i > 0; i--) {
        c->rep[i] = c->rep[i - 1];
    }
    c->rep[0] = a;
}

void cm_init(struct ota_delta_compact *c);

#include "compact_mix.h"

#endif
