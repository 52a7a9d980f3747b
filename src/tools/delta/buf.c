/* Growable byte buffer for patches being written. */
#include <stdlib.h>
#include <string.h>

#include "delta_make.h"

int delta_buf_put(struct delta_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) {
            cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int delta_buf_byte(struct delta_buf *b, uint8_t v)
{
    return delta_buf_put(b, &v, 1);
}
