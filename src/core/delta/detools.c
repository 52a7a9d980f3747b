/*
 * detools "sequential" patch stream, after decompression, one byte at a
 * time: a data-format-patch size (always 0 here), then until the new image
 * is complete: diff size, diff bytes (added to old bytes), extra size,
 * extra bytes (taken as they are), and a signed seek of the old cursor.
 * Sizes: first byte bit 7 = more, bit 6 = negative, bits 5..0 = value;
 * then 7 bits per byte, least significant first, while bit 7 is set.
 */
#include "delta_internal.h"
#include "ota/error.h"

enum { DT_DFPATCH, DT_DIFF_SIZE, DT_DIFF, DT_EXTRA_SIZE, DT_EXTRA, DT_SEEK, DT_DONE };

void delta_dt_start(struct ota_delta *d)
{
    struct ota_delta_dt *t = &d->u.detools.dt;
    t->state = d->hdr.new_size ? DT_DFPATCH : DT_DONE;
    t->size_shift = 0;
    t->size_value = 0;
    t->chunk_left = 0;
}

/* One byte of a size field; returns 1 when the field is complete. */
static int size_byte(struct ota_delta_dt *t, uint8_t b, int64_t *value)
{
    if (t->size_shift == 0) {
        t->size_negative = (b & 0x40) != 0;
        t->size_value = b & 0x3f;
        t->size_shift = 6;
    } else {
        if (t->size_shift > 27 || ((uint64_t)(b & 0x7f) << t->size_shift) > UINT32_MAX) {
            return OTA_ERR_DELTA_CORRUPT; /* sizes and seeks fit in 32 bits */
        }
        t->size_value |= (uint32_t)(b & 0x7f) << t->size_shift;
        t->size_shift += 7;
    }
    if (b & 0x80) {
        return 0;
    }
    *value = t->size_negative ? -(int64_t)t->size_value : (int64_t)t->size_value;
    t->size_shift = 0;
    return 1;
}

/* A run length: it must fit in what is left of the new image. */
static int start_run(struct ota_delta *d, int64_t size, uint8_t run_state, uint8_t after_state)
{
    struct ota_delta_dt *t = &d->u.detools.dt;
    if (size < 0 || (uint64_t)size > (uint64_t)(d->hdr.new_size - d->new_pos)) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    t->chunk_left = (uint32_t)size;
    t->state = size ? run_state : after_state;
    return 0;
}

static int after_seek(struct ota_delta *d, int64_t rel)
{
    delta_seek_old(d, rel);
    d->u.detools.dt.state = d->new_pos == d->hdr.new_size ? DT_DONE : DT_DIFF_SIZE;
    return delta_step_end(d);
}

static int run_byte(struct ota_delta *d, uint8_t b, uint8_t after_state)
{
    struct ota_delta_dt *t = &d->u.detools.dt;
    int rc = t->state == DT_DIFF ? delta_put_diff(d, b) : delta_put_extra(d, b);
    if (!rc && --t->chunk_left == 0) {
        t->state = after_state;
    }
    return rc;
}

int delta_dt_byte(struct ota_delta *d, uint8_t b)
{
    struct ota_delta_dt *t = &d->u.detools.dt;
    int64_t v = 0;
    int got;
    switch (t->state) {
    case DT_DIFF:
        return run_byte(d, b, DT_EXTRA_SIZE);
    case DT_EXTRA:
        return run_byte(d, b, DT_SEEK);
    case DT_DONE:
        return OTA_ERR_DELTA_TRAILING;
    default:
        break;
    }
    got = size_byte(t, b, &v);
    if (got <= 0) {
        return got;
    }
    switch (t->state) {
    case DT_DFPATCH:
        if (v != 0) {
            return OTA_ERR_DELTA_UNSUPPORTED; /* data-format patches (ARM/AArch64 code) */
        }
        t->state = DT_DIFF_SIZE;
        return 0;
    case DT_DIFF_SIZE:
        return start_run(d, v, DT_DIFF, DT_EXTRA_SIZE);
    case DT_EXTRA_SIZE:
        return start_run(d, v, DT_EXTRA, DT_SEEK);
    default:
        return after_seek(d, v);
    }
}

int delta_dt_end(const struct ota_delta *d)
{
    return d->u.detools.dt.state == DT_DONE ? 0 : OTA_ERR_DELTA_TRUNCATED;
}
