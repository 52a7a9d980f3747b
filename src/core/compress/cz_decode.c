/*
 * Decoder of compressed app images (docs/compress-format.md), one more form
 * of the delta applier. A match's source bytes are the image's own earlier
 * bytes: the last ones still in the output batch, the rest read back from
 * what went out (d->read_new: on a device the slot being written, through
 * the flash port) into the window the patch forms use for the old image.
 */
#include <string.h>

#include "../delta/delta_internal.h"
#include "../delta/range_decoder.h"
#include "cz_xtensa.h"
#include "ota/error.h"

#if !defined(OTA_NO_COMPRESS) || !defined(OTA_NO_COMPACT)
/* The coder, as the model calls it: the shared range decoder's registers
 * (locals while a symbol decodes, in the state between symbols). */
struct cz_io {
    struct ota_delta *d;
    struct rd_coder k;
};

static inline int cz_bit(struct cz_io *io, unsigned p0, int unused)
{
    (void)unused;
    return rd_bit(io->d, &io->k, p0);
}

#include "cz_model.h"

uint32_t delta_lz_match(struct ota_delta *d, struct ota_cz_lz *z, struct rd_coder *k, uint32_t *dist, unsigned *rep_i)
{
    struct cz_io io = {d, *k};
    uint32_t len = cz_match(&io, z, 0, dist, rep_i);
    *k = io.k;
    return len;
}
#endif

#ifdef OTA_NO_COMPRESS
/* Built without the decoder (-DOTA_NO_COMPRESS): such images are refused
 * as a form this applier does not support, before anything is written. */
int delta_cz_start(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_cz_feed(struct ota_delta *d, const uint8_t *p, size_t len)
{
    (void)d, (void)p, (void)len;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_cz_end(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}
#else

/* Bytes one symbol can consume at most: a new match is about 30 coded bits
 * (at most 12 bits of information each) and 56 direct ones. */
#define STEP_MAX_BYTES 64u

enum { CZ_SYMBOL, CZ_COPY, CZ_DONE };


/* Images with OTA_CZ_FLAG_XTENSA: a coded byte out. Where the sweep finds
 * a CALLn or L32R in code, the coded instruction's addend comes off as its
 * bytes go out (the image's bytes); the model learns the coded byte. */
/* A coded instruction of first byte op starts at address c->xt_pc. */
static inline void xt_begin(struct ota_cz *c, uint8_t op)
{
    c->xt_dst = cz_xt_addend(op, c->xt_pc);
    c->xt_op = op;
    c->xt_left = CZ_XT_INSN;
}

/* The image's byte of a coded one (the model learns the coded byte). */
static inline uint8_t xt_uncode(struct ota_cz *c, uint8_t coded)
{
    uint8_t b = coded;
    if (c->xt_left) {
        b = cz_xt_sub(&c->xt_dst, coded);
        c->xt_left--;
    }
    cz_after_byte(c, coded);
    return b;
}

static int xt_put(struct ota_delta *d, uint8_t coded)
{
    struct ota_cz *c = &d->u.cz;
    if (!c->xt_left && cz_xt_insn_at(&d->rl.sw, d->new_pos, c->stop, &c->xt_pc) && cz_xt_kind(coded)) {
        xt_begin(c, coded);
    }
    uint8_t b = xt_uncode(c, coded);
#if CM_FAST /* into the batch directly, as put does */
    if (d->out_len + 1u < OTA_DELTA_OUT_BUF && d->new_pos < d->hdr.new_size && d->new_pos >= RL_IMAGE_HDR) {
        (void)rl_sweep_byte(&d->rl.sw, d->new_pos, b); /* past the image header: it cannot fail */
        d->out_buf[d->out_len++] = b;
        d->new_pos++;
        d->step_output = true;
        return 0;
    }
#endif
    return delta_put_extra(d, b); /* it sweeps the byte (OTA_DELTA_FLAG_RELOC) */
}

/* A match's next byte in an image with OTA_CZ_FLAG_XTENSA. Inside a coded
 * instruction its source is taken as the same byte of the same kind of
 * instruction, as far back in addresses as in the image, and coded at that
 * address: a call copied from a call of the same function elsewhere is the
 * same coded bytes. */
static int xt_copy_byte(struct ota_delta *d)
{
    struct ota_cz *c = &d->u.cz;
    uint32_t dist = c->lz.rep[0], pc = 0;
    uint8_t b;
    int rc = delta_peek_new(d, dist, &b);
    int coded = c->xt_left != 0;
    if (rc) {
        return rc;
    }
    if (!coded && cz_xt_insn_at(&d->rl.sw, d->new_pos, c->stop, &pc) && cz_xt_kind(b)) {
        coded = 1; /* an instruction starts, and so does the source's */
        c->xt_src = cz_xt_addend(b, pc - dist);
    } else if (coded && c->xt_fresh) {
        /* the match starts inside one: the source's started k bytes before */
        uint32_t k = CZ_XT_INSN - c->xt_left;
        c->xt_src = dist + k <= d->new_pos ? cz_xt_addend(c->xt_op, c->xt_pc - dist) : 0u;
        for (uint32_t j = k; j > 0 && !rc && c->xt_src; j--) {
            uint8_t e = 0;
            rc = delta_peek_new(d, dist + j, &e);
            cz_xt_add(&c->xt_src, e);
        }
    }
    c->xt_fresh = 0;
    return rc ? rc : xt_put(d, coded ? cz_xt_add(&c->xt_src, b) : b);
}

/* The output offset no symbol may cross: the image's end or the next sync point. */
static uint32_t next_stop(const struct ota_delta *d)
{
    uint32_t end = d->hdr.new_size, sync = d->hdr.sync;
    if (sync && end - d->new_pos > sync - d->new_pos % sync) {
        end = d->new_pos + (sync - d->new_pos % sync);
    }
    return end;
}

#if CM_FAST /* built for speed, not size */
/* The two counters' stretches of bit i at tree node `node` (agree as
 * cz_literal keeps it, pb the predicted byte's bit i), in one register so
 * that choosing between two is one select. */
static inline uint32_t stretches(const uint16_t *o0, const uint16_t *o1, unsigned node, unsigned agree, unsigned pb)
{
    return (uint16_t)cz_ctr_st(o0[cz_o0_sel(agree, pb) + node]) | (uint32_t)(uint16_t)cz_ctr_st(o1[node]) << 16;
}

/* A literal, as cz_literal codes it, with the counters of each bit's two
 * possible successors read while the bit itself decodes. What a successor
 * reads (its node's counters) is never what this bit learns, so the
 * probabilities are exactly cz_literal's; two dependent loads leave the
 * path from one decoded bit to the next. */
static uint8_t decode_literal(struct cz_io *io, struct ota_cz *c, uint8_t pred, int have_pred)
{
    uint16_t *o0 = c->o0 + cz_o0_base(c), *o1 = c->o1 + cz_o1_base(c->c1);
    int32_t(*w)[OTA_CZ_MIX_INPUTS] = c->w + cz_w_base(c, c->since_match == 0);
    unsigned node = 1, agree = have_pred ? 1u : 0u;
    uint32_t st = stretches(o0, o1, 1, agree, pred >> 7);
#pragma GCC unroll 8 /* the bit's place is then a constant */
    for (unsigned i = 0; i < 8; i++) {
        unsigned pb = (pred >> (7 - i)) & 1u, npb = i < 7 ? (pred >> (6 - i)) & 1u : 0u;
        unsigned ag0 = agree & (pb ^ 1u), ag1 = agree & pb;
        int32_t *wi = w[(i * 4 + agree * 2u) * 3u];
        struct cz_lit_pred q = {(int16_t)(uint16_t)st, (int16_t)(uint16_t)(st >> 16), 0};
        q.p1 = cz_lit_mix(c->squash, q.sa, q.sb, wi);
        uint32_t s0 = 0, s1 = 0;
        if (i < 7) {
            s0 = stretches(o0, o1, node * 2u, ag0, npb);
            s1 = stretches(o0, o1, node * 2u + 1u, ag1, npb);
        }
        unsigned bit = (unsigned)cz_bit(io, CM_PROB_ONE - (unsigned)q.p1, 0);
        cz_lit_learn(q, &o0[cz_o0_sel(agree, pb) + node], &o1[node], wi, (int)bit);
        node = node * 2u + bit;
        agree = ag0 ^ ((ag0 ^ ag1) & (0u - bit));
        st = s0 ^ ((s0 ^ s1) & (0u - bit));
    }
    return (uint8_t)node;
}
#else
/* Where size counts, the model's own literal: no reads ahead. */
static uint8_t decode_literal(struct cz_io *io, struct ota_cz *c, uint8_t pred, int have_pred)
{
    return cz_literal(io, c, 0, pred, have_pred);
}
#endif

static int put_literal(struct ota_delta *d, uint8_t b);

static int decode_symbol(struct cz_io *io)
{
    struct ota_delta *d = io->d;
    struct ota_cz *c = &d->u.cz;
    uint8_t pred = 0;
    int rc = 0;
    if (!cz_prob_bit(io, cz_is_match(&c->lz, d->new_pos), 0)) {
        int have = c->lz.rep[0] <= d->new_pos;
        if (have && c->lz.rep[0] <= d->out_len) {
            pred = d->out_buf[d->out_len - c->lz.rep[0]];
        } else if (have && (rc = delta_peek_new(d, c->lz.rep[0], &pred))) {
            return rc;
        }
        uint8_t b = decode_literal(io, c, pred, have);
        cz_after_literal(c);
        return put_literal(d, b);
    }
    uint32_t dist = 0;
    unsigned rep_i = 0;
    uint32_t len = delta_lz_match(d, &c->lz, &io->k, &dist, &rep_i);
    if (dist == 0 || dist > d->new_pos || len == 0 || len > c->stop - d->new_pos) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    cz_after_match(c, rep_i, dist);
    c->xt_fresh = 1;
    c->run_left = len;
    c->state = CZ_COPY;
    return 0;
}

static int symbol(struct ota_delta *d)
{
    struct cz_io io = {d, {d->u.cz.range, d->u.cz.code}};
    int rc = decode_symbol(&io);
    d->u.cz.range = io.k.range;
    d->u.cz.code = io.k.code;
    return rc;
}

#if CM_FAST /* built for speed: bytes in batches where no instruction is coded */
/* A byte out: into the output batch directly while it has room for more
 * than this one; the byte that fills it goes through delta_put_extra,
 * which flushes the batch. */
static int put(struct ota_delta *d, uint8_t b)
{
    cz_after_byte(&d->u.cz, b);
    if (d->out_len + 1u < OTA_DELTA_OUT_BUF && d->new_pos < d->hdr.new_size) {
        d->out_buf[d->out_len++] = b;
        d->new_pos++;
        d->step_output = true;
        return 0;
    }
    return delta_put_extra(d, b);
}

/* Where a match's next bytes are already in RAM: the output batch (the
 * source may overlap what the copy writes: it runs forwards) or the
 * read-back window; NULL when the window must be read first. */
static const uint8_t *match_source(const struct ota_delta *d, uint32_t dist, uint32_t *avail)
{
    uint32_t flushed = d->new_pos - d->out_len, src = d->new_pos - dist;
    if (src >= flushed) {
        *avail = UINT32_MAX;
        return d->out_buf + (src - flushed);
    }
    if (d->buf_holds_new && src >= d->old_buf_off && src - d->old_buf_off < d->old_buf_len) {
        *avail = d->old_buf_len - (src - d->old_buf_off);
        return d->old_buf + (src - d->old_buf_off);
    }
    return NULL;
}

/* A match's bytes (an image without OTA_CZ_FLAG_XTENSA), in runs as long
 * as the source in RAM and the room in the output batch allow; a byte at a
 * run's edge goes the slow way (delta_peek_new reads the window, put
 * flushes the batch). */
static int copy_runs(struct ota_delta *d)
{
    struct ota_cz *c = &d->u.cz;
    int rc = 0;
    while (!rc && c->run_left) {
        uint32_t avail = 0, room = OTA_DELTA_OUT_BUF - 1u - d->out_len;
        const uint8_t *from = match_source(d, c->lz.rep[0], &avail);
        uint32_t n = c->run_left < room ? c->run_left : room;
        n = n < avail ? n : avail;
        if (!from || n == 0) {
            uint8_t b;
            rc = delta_peek_new(d, c->lz.rep[0], &b);
            rc = rc ? rc : put(d, b);
            c->run_left -= rc ? 0u : 1u;
            continue;
        }
        uint8_t *to = d->out_buf + d->out_len;
        for (uint32_t k = 0; k < n; k++) {
            to[k] = from[k];
            cz_after_byte(c, to[k]);
        }
        d->out_len += n;
        d->new_pos += n;
        d->step_output = true;
        c->run_left -= n;
    }
    return rc;
}

/* A match's bytes in an image with OTA_CZ_FLAG_XTENSA, in runs as
 * copy_runs takes them: xt_copy_byte and xt_put for each byte, with the
 * sweep's step inline. A match's first byte inside an instruction (its
 * source's start is read back) and the image header's bytes (the sweep
 * checks them) go the slow way. */
static int xt_copy_runs(struct ota_delta *d)
{
    struct ota_cz *c = &d->u.cz;
    struct ota_delta_sweep *sw = &d->rl.sw;
    int rc = 0;
    while (!rc && c->run_left) {
        uint32_t avail = 0, room = OTA_DELTA_OUT_BUF - 1u - d->out_len, dist = c->lz.rep[0];
        const uint8_t *from = match_source(d, dist, &avail);
        uint32_t n = c->run_left < room ? c->run_left : room;
        n = n < avail ? n : avail;
        c->xt_fresh &= c->xt_left != 0; /* only inside an instruction has the source's to be found */
        if (!from || n == 0 || c->xt_fresh || d->new_pos < RL_IMAGE_HDR) {
            rc = xt_copy_byte(d);
            c->run_left -= rc ? 0u : 1u;
            continue;
        }
        uint8_t *to = d->out_buf + d->out_len;
        uint32_t p = d->new_pos;
        for (uint32_t k = 0; k < n; k++, p++) {
            uint8_t b = from[k], coded = b;
            if (c->xt_left) {
                coded = cz_xt_add(&c->xt_src, b);
            } else if (cz_xt_insn_at(sw, p, c->stop, &c->xt_pc) && cz_xt_kind(b)) {
                c->xt_src = cz_xt_addend(b, c->xt_pc - dist);
                coded = cz_xt_add(&c->xt_src, b);
                xt_begin(c, b);
            }
            to[k] = xt_uncode(c, coded);
            (void)rl_sweep_byte(sw, p, to[k]); /* past the image header: it cannot fail */
        }
        d->out_len += n;
        d->new_pos += n;
        d->step_output = true;
        c->run_left -= n;
    }
    return rc;
}

static int put_literal(struct ota_delta *d, uint8_t b)
{
    return d->hdr.flags & OTA_DELTA_FLAG_RELOC ? xt_put(d, b) : put(d, b);
}
#else /* built for size: one way for every byte */
static int put_literal(struct ota_delta *d, uint8_t b)
{
    return xt_put(d, b);
}
#endif

/* A match's bytes. */
static int copy(struct ota_delta *d)
{
    struct ota_cz *c = &d->u.cz;
    int rc = 0;
#if CM_FAST
    return d->hdr.flags & OTA_DELTA_FLAG_RELOC ? xt_copy_runs(d) : copy_runs(d);
#endif
    while (!rc && c->run_left) {
        rc = xt_copy_byte(d);
        c->run_left -= rc ? 0u : 1u;
    }
    return rc;
}

static int step(struct ota_delta *d)
{
    struct ota_cz *c = &d->u.cz;
    int rc;
    if (c->init_bytes < 5) {
        rd_start(d, &c->code, &c->init_bytes);
        return 0;
    }
    if (c->state == CZ_SYMBOL && d->new_pos >= c->stop) { /* at a sync point, or just (re)started */
        if (delta_at_sync(d)) {
            /* the encoder flushed its coder and reset every model here */
            delta_sync_point(d);
            cz_init(c);
            c->state = CZ_SYMBOL;
            return 0;
        }
        c->stop = next_stop(d);
    }
    rc = c->state == CZ_COPY ? copy(d) : symbol(d);
    if (!rc && c->state == CZ_COPY && !c->run_left) {
        c->state = CZ_SYMBOL;
    }
    if (!rc && c->state == CZ_SYMBOL && d->new_pos == d->hdr.new_size) {
        c->state = CZ_DONE;
    }
    return rc;
}

static int run(struct ota_delta *d, bool final)
{
    int rc = 0;
    while (!rc && d->u.cz.state != CZ_DONE &&
           (d->u.cz.state == CZ_COPY || d->in_len - d->in_pos >= STEP_MAX_BYTES || final)) {
        rc = step(d);
        if (final && d->overread > 8) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
    }
    /* The sweep of an image with OTA_CZ_FLAG_XTENSA found no app image:
     * the encoder sets the flag on app images only, so the stream is bad. */
    rc = rc == OTA_ERR_DELTA_RELOC_IMAGE ? OTA_ERR_DELTA_CORRUPT : rc;
    return rc ? rc : d->u.cz.state == CZ_DONE;
}

int delta_cz_start(struct ota_delta *d)
{
    if (!d->read_new) {
        return OTA_ERR_DELTA_UNSUPPORTED; /* the caller gave no way to read back what was written */
    }
    cz_init(&d->u.cz);
    rl_sweep_init(&d->rl.sw); /* OTA_CZ_FLAG_XTENSA: the image's segments, as they are written */
    d->rl.nsegs = 0;
    d->u.cz.state = d->hdr.new_size ? CZ_SYMBOL : CZ_DONE;
    d->in_len = d->in_pos = d->overread = 0;
    d->old_buf_off = d->old_buf_len = 0;
    return 0;
}

int delta_cz_feed(struct ota_delta *d, const uint8_t *p, size_t len)
{
    return delta_buffered_feed(d, p, len, run);
}

int delta_cz_end(struct ota_delta *d)
{
    return delta_buffered_end(d, run);
}
#endif
