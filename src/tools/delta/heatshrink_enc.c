/*
 * heatshrink encoder: greedy LZSS over a 2^w window with matches up to 2^l
 * bytes, bit-packed MSB first (tag 1 + byte; tag 0 + distance-1 in w bits
 * + count-1 in l bits). A match is taken only where it is shorter in bits
 * than the literals it replaces. Written for esp_delta_ota's w=8, l=7;
 * the search is a plain scan of the window, quick at that size.
 */
#include "delta_make.h"

struct bits {
    struct delta_buf *out;
    uint32_t acc;
    unsigned n;
    int err;
};

static void put_bits(struct bits *b, uint32_t v, unsigned n)
{
    while (n--) {
        b->acc = (b->acc << 1) | ((v >> n) & 1u);
        if (++b->n == 8) {
            b->err |= delta_buf_byte(b->out, (uint8_t)b->acc);
            b->acc = 0;
            b->n = 0;
        }
    }
}

static size_t best_match(const uint8_t *in, size_t len, size_t i, size_t window, size_t max, size_t *dist)
{
    size_t best = 0;
    size_t limit = len - i < max ? len - i : max;
    for (size_t d = 1; d <= window && d <= i; d++) {
        const uint8_t *a = in + i - d, *b = in + i;
        if (a[0] != b[0] || (best && a[best] != b[best])) {
            continue;
        }
        size_t k = 0;
        while (k < limit && a[k] == b[k]) {
            k++;
        }
        if (k > best) {
            best = k;
            *dist = d;
            if (k == limit) {
                break;
            }
        }
    }
    return best;
}

int delta_heatshrink_encode(const uint8_t *in, size_t len, unsigned w, unsigned l, struct delta_buf *out)
{
    struct bits b = {out, 0, 0, 0};
    const size_t backref_bits = 1 + w + l;
    size_t i = 0;
    while (i < len) {
        size_t dist = 0;
        size_t k = best_match(in, len, i, (size_t)1 << w, (size_t)1 << l, &dist);
        if (k * 9 > backref_bits) {
            put_bits(&b, 0, 1);
            put_bits(&b, (uint32_t)(dist - 1), w);
            put_bits(&b, (uint32_t)(k - 1), l);
            i += k;
        } else {
            put_bits(&b, 1, 1);
            put_bits(&b, in[i], 8);
            i++;
        }
    }
    if (b.n) {
        put_bits(&b, 0, 8 - b.n); /* zero padding to the byte */
    }
    return b.err ? -1 : 0;
}
