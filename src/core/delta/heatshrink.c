/*
 * heatshrink decoder (LZSS over a 2^W window, bit-packed MSB first), as
 * detools uses it: tag 1 + 8 bits = a literal byte; tag 0 + W bits of
 * (distance - 1) + L bits of (count - 1) = copy count bytes from distance
 * back in the output. Every decompressed byte goes to the detools parser.
 * The window starts zeroed, as the reference decoder's does.
 */
#include <string.h>

#include "delta_internal.h"
#include "ota/error.h"

int delta_hs_start(struct ota_delta *d, uint8_t param)
{
    struct ota_delta_hs *h = &d->u.detools.hs;
    unsigned w = (param >> 4) + 4u, l = (param & 0x0fu) + 3u;
    if ((1u << w) > OTA_DELTA_HS_WINDOW_MAX || l >= w) {
        return OTA_ERR_DELTA_UNSUPPORTED;
    }
    h->window_bits = (uint8_t)w;
    h->lookahead_bits = (uint8_t)l;
    h->acc = 0;
    h->nacc = 0;
    h->head = 0;
    memset(h->window, 0, sizeof(h->window));
    return 0;
}

static uint32_t take_bits(struct ota_delta_hs *h, unsigned n)
{
    uint32_t v = (h->acc >> (h->nacc - n)) & ((1u << n) - 1u);
    h->nacc = (uint8_t)(h->nacc - n);
    return v;
}

static int emit(struct ota_delta *d, uint8_t b)
{
    struct ota_delta_hs *h = &d->u.detools.hs;
    h->window[h->head] = b;
    h->head = (uint16_t)((h->head + 1u) & ((1u << h->window_bits) - 1u));
    return delta_dt_byte(d, b);
}

/* Decode whole tokens while the accumulator holds one. */
static int drain(struct ota_delta *d)
{
    struct ota_delta_hs *h = &d->u.detools.hs;
    const unsigned backref_bits = 1u + h->window_bits + h->lookahead_bits;
    const uint32_t mask = (1u << h->window_bits) - 1u;
    int rc = 0;
    while (!rc && h->nacc >= 9) {
        bool literal = (h->acc >> (h->nacc - 1)) & 1u;
        if (literal) {
            (void)take_bits(h, 1);
            rc = emit(d, (uint8_t)take_bits(h, 8));
            continue;
        }
        if (h->nacc < backref_bits) {
            break;
        }
        (void)take_bits(h, 1);
        uint32_t dist = take_bits(h, h->window_bits) + 1u;
        uint32_t count = take_bits(h, h->lookahead_bits) + 1u;
        for (uint32_t i = 0; i < count && !rc; i++) {
            rc = emit(d, h->window[(h->head - dist) & mask]);
        }
    }
    return rc;
}

int delta_hs_feed(struct ota_delta *d, uint8_t b)
{
    struct ota_delta_hs *h = &d->u.detools.hs;
    /* at most 1 + 11 + 10 bits wait here, so a byte always fits in 32 */
    h->acc = (h->acc << 8) | b;
    h->nacc = (uint8_t)(h->nacc + 8);
    return drain(d);
}

int delta_hs_end(const struct ota_delta *d)
{
    /* What is left is the zero padding of the last byte: fewer than 8 bits. */
    return d->u.detools.hs.nacc < 8 ? 0 : OTA_ERR_DELTA_TRUNCATED;
}
