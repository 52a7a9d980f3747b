/*
 * The range encoder both of our makers code with (compact patches and
 * compressed images): 12-bit probabilities of a 0, 32-bit range, carries
 * propagated through a cache byte and a count of pending 0xFF bytes. The
 * device's decoders (src/core/delta/compact.c, src/core/compress/) read
 * exactly this stream.
 */
#ifndef OTA_TOOLS_RANGE_ENC_H
#define OTA_TOOLS_RANGE_ENC_H

#include <stdint.h>

#include "delta_make.h"

struct range_enc {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    uint64_t pending; /* bytes waiting for a possible carry */
    struct delta_buf *out;
    int err;          /* any failed write, sticky */
};

#define RANGE_ENC_INIT(out) {0, 0xFFFFFFFFu, 0, 0, (out), 0}

static inline void range_enc_shift_low(struct range_enc *e)
{
    if (e->low < 0xFF000000u || e->low >= (1ull << 32)) {
        uint8_t carry = (uint8_t)(e->low >> 32);
        e->err |= delta_buf_byte(e->out, (uint8_t)(e->cache + carry));
        for (; e->pending; e->pending--) {
            e->err |= delta_buf_byte(e->out, (uint8_t)(0xFF + carry));
        }
        e->cache = (uint8_t)(e->low >> 24);
    } else {
        e->pending++;
    }
    e->low = (e->low & 0x00FFFFFFu) << 8;
}

/* One bit whose probability of being 0 is p0 (12 bits). */
static inline void range_enc_bit(struct range_enc *e, unsigned p0, int bit)
{
    uint32_t bound = (e->range >> 12) * p0;
    if (bit) {
        e->low += bound;
        e->range -= bound;
    } else {
        e->range = bound;
    }
    while (e->range < (1u << 24)) {
        e->range <<= 8;
        range_enc_shift_low(e);
    }
}

/* The last bytes of low: the stream is then complete. */
static inline void range_enc_flush(struct range_enc *e)
{
    for (int i = 0; i < 5; i++) {
        range_enc_shift_low(e);
    }
}

#endif
