/* Shared by the patch forms' decoders (private to src/core/delta). */
#ifndef OTA_DELTA_INTERNAL_H
#define OTA_DELTA_INTERNAL_H

#include "ota/delta.h"

/* One new byte that is a diff byte: new = diff + old[old_pos++]. */
int delta_put_diff(struct ota_delta *d, uint8_t diff);
/* One new byte taken as it is. */
int delta_put_extra(struct ota_delta *d, uint8_t b);
/* The old byte k bytes past the cursor (k = 0: the one a diff byte at this
 * point adds to, which models use as context). */
int delta_peek_old_at(struct ota_delta *d, uint32_t k, uint8_t *b);
/* delta_peek_old_at, served from the window without a call when it holds
 * the byte (the diff loop's common case). */
static inline int delta_old_byte(struct ota_delta *d, uint32_t k, uint8_t *b)
{
    if (d->old_pos >= 0 && !d->buf_holds_new) {
        uint64_t i = (uint64_t)d->old_pos + k - d->old_buf_off; /* wraps huge below the window */
        if (i < d->old_buf_len) {
            *b = d->old_buf[i];
            return 0;
        }
    }
    return delta_peek_old_at(d, k, b);
}
/* delta_put_diff when the caller has the old byte (delta_old_byte(d, 0)). */
int delta_put_diff_to(struct ota_delta *d, uint8_t diff, uint8_t old);
/* Whether the new byte `back` bytes before the output batch is still in
 * out_buf, past the batch's end: each batch is flushed when full, so the
 * one before it stays there until overwritten (a resumed applier refills
 * it when it rehashes the output). */
static inline bool delta_batch_before(const struct ota_delta *d, uint32_t back)
{
    return d->new_pos - d->out_len >= OTA_DELTA_OUT_BUF && back <= OTA_DELTA_OUT_BUF - d->out_len;
}
/* The new byte `back` bytes before the next one (1 <= back <= produced):
 * from the output batch, else read back through read_new into the window
 * the old image's reads use. */
int delta_peek_new(struct ota_delta *d, uint32_t back, uint8_t *b);
/* Move the old-image cursor by rel bytes. */
void delta_seek_old(struct ota_delta *d, int64_t rel);
/* A step (diff, extra, seek) ended: too many in a row without output is a
 * stalled patch (OTA_ERR_DELTA_STALLED). */
int delta_step_end(struct ota_delta *d);

/* A sync point is due (the stream's interval divides the output so far,
 * not yet noted there): the decoder notes it with delta_sync_point (the
 * checkpoint; the old cursor at the new offset) and resets its models. */
bool delta_at_sync(const struct ota_delta *d);
void delta_sync_point(struct ota_delta *d);

/* Compact and compressed bodies: bytes through the input buffer into the
 * form's run(d, final) (< 0 an error, 1 its stream done), and the end. */
int delta_buffered_feed(struct ota_delta *d, const uint8_t *p, size_t len, int (*run)(struct ota_delta *, bool));
int delta_buffered_end(struct ota_delta *d, int (*run)(struct ota_delta *, bool));

/* The detools header after the esp header, if any: type, size, parameters. */
int delta_parse_detools_header(const uint8_t *p, size_t len, struct ota_delta_header *h, uint8_t *compression,
                               uint8_t *hs_param);

/* detools sequential stream: start, one decompressed byte, end check. */
void delta_dt_start(struct ota_delta *d);
int delta_dt_byte(struct ota_delta *d, uint8_t b);
int delta_dt_end(const struct ota_delta *d);

/* heatshrink: start with the parameter byte, feed compressed bytes, end. */
int delta_hs_start(struct ota_delta *d, uint8_t param);
int delta_hs_feed(struct ota_delta *d, uint8_t b);
int delta_hs_end(const struct ota_delta *d);

/* compact body: feed bytes, end (flushes the decoder). */
int delta_compact_start(struct ota_delta *d);
int delta_compact_feed(struct ota_delta *d, const uint8_t *p, size_t len);
int delta_compact_end(struct ota_delta *d);
/* After ota_delta_resume started it: the relocation map checked in the
 * scratch region (OTA_ERR_DELTA_RELOC_TORN unless whole and this patch's). */
int delta_compact_resumed(struct ota_delta *d);

/* The match part of an LZ77 symbol, after its "match" bit (the model of
 * compressed images and of compact patches' extra runs, one copy of the
 * code for both): returns the length, sets *dist and *rep_i; k is the
 * caller's range decoder (range_decoder.h). */
struct rd_coder;
uint32_t delta_lz_match(struct ota_delta *d, struct ota_cz_lz *z, struct rd_coder *k, uint32_t *dist, unsigned *rep_i);

/* compressed image (src/core/compress): start, feed bytes, end. */
int delta_cz_start(struct ota_delta *d);
int delta_cz_feed(struct ota_delta *d, const uint8_t *p, size_t len);
int delta_cz_end(struct ota_delta *d);

#endif
