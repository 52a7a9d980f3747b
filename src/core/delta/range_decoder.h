/*
 * The binary range decoder both coded forms share: compact patches
 * (docs/delta-format.md, "Body: range coder") and compressed images
 * (docs/compress-format.md). 12-bit probabilities of a 0; the input is
 * the applier's buffer of body bytes, where a decoder that wants more
 * than it holds reads zeros and counts them (d->overread: the caller
 * tells a stream cut short from its encoder's flush bytes).
 */
#ifndef OTA_RANGE_DECODER_H
#define OTA_RANGE_DECODER_H

#include <stdint.h>

#include "compact_model.h"
#include "ota/delta.h"

/* The decoder's registers, held in locals while a symbol's bits decode
 * (the models' stores could otherwise alias them) and kept in the
 * decoder's state between symbols. */
struct rd_coder {
    uint32_t range, code;
};

static inline uint8_t rd_next_in(struct ota_delta *d)
{
    if (d->in_pos < d->in_len) {
        return d->in_buf[d->in_pos++];
    }
    d->overread++;
    return 0;
}

/* The first five body bytes into the code (the first is always 0). */
static inline void rd_start(struct ota_delta *d, uint32_t *code, uint8_t *taken)
{
    for (; *taken < 5; (*taken)++) {
        *code = (*code << 8) | rd_next_in(d);
    }
}

/* One bit whose probability of a 0 is p0; the caller's model learns it. */
static inline int rd_bit(struct ota_delta *d, struct rd_coder *k, unsigned p0)
{
    uint32_t range = k->range, code = k->code, bound = (range >> CM_PROB_BITS) * p0;
    uint32_t one = (uint32_t)(code >= bound);
#if CM_FAST
    /* Selected, not branched: a literal's bits are close to coin flips,
     * and a mispredicted branch per bit cost more than the rest (written
     * as ?: selects, compilers branch). Where size counts, the ?: form,
     * which is smaller. */
    uint32_t mask = 0u - one;
    code -= bound & mask;
    range = bound + ((range - bound - bound) & mask); /* a 1: range - bound, a 0: bound */
#else
    code = one ? code - bound : code;
    range = one ? range - bound : bound;
#endif
    while (range < CM_TOP) {
        range <<= 8;
        code = (code << 8) | rd_next_in(d);
    }
    k->range = range;
    k->code = code;
    return (int)one;
}

#endif
