/*
 * Decoder of our compact format's body (docs/delta-format.md): a range
 * coder over adaptive binary models (compact_model.h). Patch bytes are
 * pushed in any chunk size, so they wait in a small input buffer and a
 * symbol is decoded only when enough bytes for the longest symbol (an
 * integer: at most one byte per coded bit) are there, or at the end.
 */
#include <string.h>

#include "../bytes.h"
#include "compact_model.h"
#include "compact_reloc.h"
#include "delta_internal.h"
#include "range_decoder.h"
#include "ota/error.h"
#include "ota/hash.h"

#ifdef OTA_NO_COMPACT
/* Built without the compact decoder (-DOTA_NO_COMPACT): such patches are
 * refused as a form this applier does not support, before anything is
 * written (an item with a fallback URI takes it). */
int delta_compact_start(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_compact_feed(struct ota_delta *d, const uint8_t *p, size_t len)
{
    (void)d, (void)p, (void)len;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_compact_end(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}

int delta_compact_resumed(struct ota_delta *d)
{
    (void)d;
    return OTA_ERR_DELTA_UNSUPPORTED;
}
#else

/* Bytes one step can consume at most: the information of its bits over 8,
 * plus one. A coded bit carries at most 12 bits (no probability is below
 * 1/4096), a direct bit 1; the longest step, a new seek, is 11 coded and
 * 28 direct bits: 21 bytes. */
#define STEP_MAX_BYTES 64u /* a match in an extra run: up to 30 coded and 56 direct bits */

enum { CS_DIFF_LEN, CS_DIFF, CS_EXTRA_LEN, CS_EXTRA, CS_COPY, CS_SEEK, CS_DONE, CS_MAP_COUNT, CS_MAP };

static inline int dec_bit_p(struct ota_delta *d, unsigned p)
{
    struct ota_delta_compact *c = &d->u.compact;
    struct rd_coder k = {c->range, c->code};
    int bit = rd_bit(d, &k, p);
    c->range = k.range, c->code = k.code;
    return bit;
}

/* The LZ77 part of extra runs is the compressed-image format's
 * (src/core/compress/cz_model.h), coded through this decoder. */
struct cz_io {
    struct ota_delta *d;
};

static inline int cz_bit(struct cz_io *io, unsigned p0, int unused)
{
    (void)unused;
    return dec_bit_p(io->d, p0);
}

#include "../compress/cz_model.h"

void cm_init(struct ota_delta_compact *c)
{
    memset(c, 0, sizeof(*c));
    cm_init_probs(&c->len_diff.nbits[0], sizeof(struct ota_delta_int_model) / sizeof(ota_delta_prob));
    cm_init_probs(&c->len_extra.nbits[0], sizeof(struct ota_delta_int_model) / sizeof(ota_delta_prob));
    cm_init_probs(&c->seek.nbits[0], sizeof(struct ota_delta_int_model) / sizeof(ota_delta_prob));
    cm_init_probs(c->zero, sizeof(c->zero) / sizeof(ota_delta_prob));
    cm_init_probs(c->repeat, sizeof(c->repeat) / sizeof(ota_delta_prob));
    cm_init_probs(c->is_rep, sizeof(c->is_rep) / sizeof(ota_delta_prob));
    cm_init_probs(c->rep_idx, sizeof(c->rep_idx) / sizeof(ota_delta_prob));
    cm_init_probs(&c->diff[0][0], sizeof(c->diff) / sizeof(ota_delta_prob));
    cm_init_probs(&c->extra[0][0], sizeof(c->extra) / sizeof(ota_delta_prob));
    cm_mix_init(c);
    cz_lz_init(&c->lz);
    cm_init_probs(&c->rl_flag[0][0], sizeof(c->rl_flag) / sizeof(ota_delta_prob));
    c->range = 0xFFFFFFFFu;
}

static inline int dec_bit(struct ota_delta *d, ota_delta_prob *p)
{
    int bit = dec_bit_p(d, *p);
    cm_update(p, bit);
    return bit;
}

static uint8_t dec_extra_literal(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    struct cm_mix m;
    unsigned node = 1;
    c->phase = rl_phase(&d->rl.sw, d->hdr.flags & OTA_DELTA_FLAG_RELOC, d->new_pos);
#if CM_FAST
    struct rd_coder k = {c->range, c->code}; /* in registers over the byte, where the model's stores cannot touch them */
#endif
    for (unsigned i = 0; i < 8; i++) {
        unsigned p0 = cm_mix_predict(c, &m, node, i);
#if CM_FAST
        int bit = rd_bit(d, &k, p0);
#else
        int bit = dec_bit_p(d, p0);
#endif
        cm_mix_update(&m, bit);
        node = (node << 1) | (unsigned)bit;
    }
#if CM_FAST
    c->range = k.range, c->code = k.code;
#endif
    return (uint8_t)node;
}

/* What an extra byte's model reads back from the new image written so far
 * (0 where it reaches before the image's start): the two bytes before it
 * and the byte at the last match distance. */
static int extra_byte_ctx(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    int rc = 0;
    uint32_t rep0 = c->lz.rep[0];
    c->n1 = c->n2 = c->mbyte = 0;
    if (d->out_len >= 2 && rep0 <= d->out_len) { /* mostly: all three in the output batch */
        c->n1 = d->out_buf[d->out_len - 1];
        c->n2 = d->out_buf[d->out_len - 2];
        c->mbyte = d->out_buf[d->out_len - rep0];
        return 0;
    }
    if (d->new_pos >= 2) {
        rc = delta_peek_new(d, 1, &c->n1);
        rc = rc ? rc : delta_peek_new(d, 2, &c->n2);
    }
    if (!rc && rep0 <= d->new_pos) {
        rc = delta_peek_new(d, rep0, &c->mbyte);
    }
    return rc;
}

static int put_extra(struct ota_delta *d, uint8_t b)
{
    struct ota_delta_compact *c = &d->u.compact;
    int rc = delta_put_extra(d, b);
    if (!rc && --c->run_left == 0) {
        c->state = CS_SEEK;
    }
    return rc;
}

/* One symbol of an extra run: a literal, or a match into the new image
 * so far that stays inside the run. */
static int dec_extra_one(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    struct cz_io io = {d};
    if (!cz_prob_bit(&io, cz_is_match(&c->lz, d->new_pos), 0)) {
        cz_lz_after_literal(&c->lz);
        int rc = extra_byte_ctx(d);
        return rc ? rc : put_extra(d, dec_extra_literal(d));
    }
    uint32_t dist = 0;
    unsigned rep_i = 0;
    struct rd_coder k = {c->range, c->code};
    uint32_t len = delta_lz_match(d, &c->lz, &k, &dist, &rep_i);
    c->range = k.range, c->code = k.code;
    if (dist == 0 || dist > d->new_pos || len == 0 || len > c->run_left) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    cz_lz_after_match(&c->lz, rep_i, dist);
    c->copy_left = len;
    c->state = CS_COPY;
    return 0;
}

/* The symbols of an extra run while the input holds a whole step for each
 * (as dec_diff_step). */
static int dec_extra(struct ota_delta *d)
{
    int rc;
    do {
        rc = dec_extra_one(d);
    } while (!rc && d->u.compact.state == CS_EXTRA && d->in_len - d->in_pos >= STEP_MAX_BYTES);
    return rc;
}

static int copy_extra(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    int rc = 0;
    while (!rc && c->copy_left) {
        uint8_t b;
        c->copy_left--;
        rc = delta_peek_new(d, c->lz.rep[0], &b);
        if (!rc) {
            c->state = c->copy_left ? CS_COPY : CS_EXTRA;
            rc = put_extra(d, b);
        }
    }
    return rc;
}

static uint32_t dec_tree(struct ota_delta *d, ota_delta_prob *probs, unsigned bits)
{
    uint32_t node = 1;
    for (unsigned i = 0; i < bits; i++) {
        node = (node << 1) | (uint32_t)dec_bit(d, &probs[node]);
    }
    return node - (1u << bits);
}

static uint32_t dec_uint(struct ota_delta *d, struct ota_delta_int_model *m)
{
    unsigned n = dec_tree(d, m->nbits, 6);
    if (n <= 1) {
        return n;
    }
    if (n > 32) {
        n = 32; /* corrupt; the length checks reject what follows */
    }
    unsigned rest = n - 1, ctx_bits = rest < CM_MANTISSA_CTX_BITS ? rest : CM_MANTISSA_CTX_BITS;
    uint32_t v = 1u;
    v = (v << ctx_bits) | dec_tree(d, cm_int_high(m, n), ctx_bits);
    for (unsigned i = ctx_bits; i < rest; i++) {
        ota_delta_prob half = CM_PROB_ONE / 2;
        v = (v << 1) | (uint32_t)dec_bit(d, &half);
    }
    return v;
}

static int dec_diff(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    uint8_t old0, diff = 0;
    int rc = delta_old_byte(d, 0, &old0);
    if (rc) {
        return rc;
    }
    uint32_t np = d->new_pos;
    c->phase = rl_phase(&d->rl.sw, d->hdr.flags & OTA_DELTA_FLAG_RELOC, np);
    if (dec_bit(d, &c->zero[cm_zero_ctx(c, old0)])) {
        if (dec_bit(d, &c->repeat[cm_repeat_ctx(c, np)])) {
            diff = c->last_nz[np & 3u];
        } else {
            diff = (uint8_t)dec_tree(d, c->diff[cm_diff_ctx(c)], 8);
        }
    }
    cm_after_diff(c, diff, old0, np);
    return delta_put_diff_to(d, diff, old0);
}

/* Map record i, read back from the scratch area. */
static int map_rec(void *ctx, uint32_t i, uint32_t rec[3])
{
    struct ota_delta *d = ctx;
    uint8_t b[OTA_DELTA_RELOC_REC];
    int rc = d->rl.ops->read(d->rl.ctx, d->rl.base + i * OTA_DELTA_RELOC_REC, b, sizeof(b));
    rec[0] = get_le32(b), rec[1] = get_le32(b + 4), rec[2] = get_le32(b + 8);
    return rc;
}

/* Whether rl_candidates can find one at new offset p: an instruction start
 * or a 4-aligned word in a segment's body. Most diff bytes are neither, and
 * they need neither the old bytes nor the map. */
static bool reloc_possible(const struct ota_delta_sweep *s, uint32_t p)
{
    if (p < s->seg_off || p >= s->seg_end || p >= s->next_hdr) {
        return false;
    }
    return p == s->next_insn || ((s->seg_addr + (p - s->seg_off)) & 3u) == 0;
}

/* The next four old bytes at once, when the run has them and the window
 * holds them (it holds old-image bytes only): false otherwise. */
static inline bool old_bytes4(const struct ota_delta *d, uint32_t run_left, uint8_t ob[4], uint32_t *n)
{
    uint64_t i = (uint64_t)d->old_pos - d->old_buf_off; /* wraps huge below the window or at old_pos < 0 */
    if (d->buf_holds_new || run_left < 4 || i >= d->old_buf_len || d->old_buf_len - (uint32_t)i < 4) {
        return false;
    }
#if CM_FAST
    const uint8_t *p = &d->old_buf[i];
    ob[0] = p[0], ob[1] = p[1], ob[2] = p[2], ob[3] = p[3]; /* no call: the core has no builtin memcpy */
#else
    memcpy(ob, &d->old_buf[i], 4);
#endif
    *n = 4;
    return true;
}

/* The relocation candidates at this diff byte: a flag for each; the first
 * that holds writes its prediction (1). 0 when none does. */
static int dec_reloc(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    uint8_t ob[4];
    uint32_t n = 0;
    struct rl_cand cand[2];
    int rc = 0;
    if (!reloc_possible(&d->rl.sw, d->new_pos)) {
        return 0;
    }
    if (!old_bytes4(d, c->run_left, ob, &n)) {
        while (!rc && n < 4 && n < c->run_left && d->old_pos >= 0 && d->old_pos + n < d->old_size) {
            rc = delta_old_byte(d, n, &ob[n]);
            n++;
        }
    }
    int k = rc ? rc : rl_candidates(&d->rl, map_rec, d, d->new_pos, c->run_left, (uint32_t)d->old_pos, ob, n, cand);
    for (int i = 0; i < k; i++) {
        int bit = dec_bit(d, rl_flag_prob(c, cand[i].kind));
        rl_flag_seen(c, cand[i].kind, bit);
        for (unsigned j = 0; bit && j < cand[i].len && !rc; j++) {
            rc = delta_put_diff(d, (uint8_t)(cand[i].pred[j] - ob[j]));
        }
        if (bit) {
            c->run_left -= cand[i].len;
            return rc ? rc : 1;
        }
    }
    return k < 0 ? k : 0;
}

static int dec_diff_one(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    int rc = d->hdr.flags & OTA_DELTA_FLAG_RELOC ? dec_reloc(d) : 0;
    if (rc == 0) {
        rc = dec_diff(d);
        c->run_left -= !rc;
    }
    if (rc >= 0 && c->run_left == 0) {
        c->state = CS_EXTRA_LEN;
    }
    return rc < 0 ? rc : 0;
}

/* The diff bytes of a run while the input holds a whole step for each:
 * the steps run() would make, without its checks between them. */
static int dec_diff_step(struct ota_delta *d)
{
    int rc;
    do {
        rc = dec_diff_one(d);
    } while (!rc && d->u.compact.state == CS_DIFF && d->in_len - d->in_pos >= STEP_MAX_BYTES);
    return rc;
}

/* The map's end: every model back at its start, the coder going on. */
static int map_done(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    struct ota_delta_reloc *r = &d->rl;
    uint8_t b[OTA_DELTA_RELOC_REC];
    put_le32(b, OTA_DELTA_RELOC_MAGIC), put_le32(b + 4, r->n), put_le32(b + 8, r->crc);
    uint32_t range = c->range, code = c->code;
    cm_init(c);
    c->range = range, c->code = code, c->init_bytes = 5;
    c->state = d->hdr.new_size ? CS_DIFF_LEN : CS_DONE;
    return r->ops->program(r->ctx, r->size - OTA_DELTA_RELOC_REC, b, sizeof(b));
}

/* Where n pieces start: the area's last sectors hold them and the last record. */
static bool map_base(struct ota_delta_reloc *r, uint32_t n)
{
    uint64_t used = ((uint64_t)n + 1u) * OTA_DELTA_RELOC_REC;
    used = (used + OTA_CZ_SYNC_UNIT - 1u) / OTA_CZ_SYNC_UNIT * OTA_CZ_SYNC_UNIT;
    r->base = used <= r->size ? r->size - (uint32_t)used : 0;
    return used <= r->size;
}

/* The map's piece count: the region erased for it (it must fit). */
static int dec_map_count(struct ota_delta *d)
{
    struct ota_delta_reloc *r = &d->rl;
    uint32_t n = dec_uint(d, &d->u.compact.seek);
    if (!map_base(r, n)) {
        return OTA_ERR_DELTA_RELOC_MAP_SIZE;
    }
    if (r->shared && d->hdr.new_size > r->base) {
        return OTA_ERR_DELTA_OUTPUT_BOUND; /* the image would overwrite its own map */
    }
    int rc = r->ops->erase(r->ctx, r->base, r->size - r->base);
    r->n = n;
    r->got = r->end = r->lo = r->hi = 0;
    r->shift = 0;
    r->crc = ota_crc32(0, d->hdr.new_sha256, OTA_SHA256_LEN);
    d->u.compact.state = CS_MAP;
    return rc ? rc : n ? 0 : map_done(d);
}

/* One piece: its gap from the last one's end, its length, its shift's change. */
static int dec_map_piece(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    struct ota_delta_reloc *r = &d->rl;
    uint64_t start = (uint64_t)r->end + dec_uint(d, &c->len_diff);
    uint32_t len = dec_uint(d, &c->len_extra), mag = dec_uint(d, &c->seek);
    int64_t shift = mag && dec_bit(d, &c->seek.sign) ? (int64_t)r->shift - mag : (int64_t)r->shift + mag;
    if (len == 0 || start + len >= ((uint64_t)1 << 32) || shift < INT32_MIN || shift > INT32_MAX) {
        return OTA_ERR_DELTA_RELOC_MAP;
    }
    uint8_t b[OTA_DELTA_RELOC_REC];
    put_le32(b, (uint32_t)start), put_le32(b + 4, len), put_le32(b + 8, (uint32_t)(int32_t)shift);
    r->crc = ota_crc32(r->crc, b, sizeof(b));
    int rc = r->ops->program(r->ctx, r->base + r->got++ * OTA_DELTA_RELOC_REC, b, sizeof(b));
    r->end = r->hi = (uint32_t)(start + len);
    r->lo = r->got == 1 ? (uint32_t)start : r->lo;
    r->shift = (int32_t)shift;
    return rc ? rc : r->got == r->n ? map_done(d) : 0;
}

static int dec_run_len(struct ota_delta *d, struct ota_delta_int_model *m, uint8_t run_state, uint8_t after)
{
    struct ota_delta_compact *c = &d->u.compact;
    uint32_t v = dec_uint(d, m);
    if (v > d->hdr.new_size - d->new_pos) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    c->run_left = v;
    c->state = v ? run_state : after;
    return 0;
}

static int dec_seek(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    int64_t rel;
    unsigned i = OTA_DELTA_REPS;
    if (dec_bit(d, &c->is_rep[cm_rep_ctx(c)])) {
        i = dec_tree(d, c->rep_idx, 2);
        rel = (int64_t)d->new_pos + c->rep[i] - d->old_pos;
    } else {
        uint32_t mag = dec_uint(d, &c->seek);
        bool negative = mag && dec_bit(d, &c->seek.sign);
        rel = negative ? -(int64_t)mag : (int64_t)mag;
    }
    delta_seek_old(d, rel);
    cm_rep_use(c, i, (int32_t)(d->old_pos - (int64_t)d->new_pos));
    c->state = d->new_pos == d->hdr.new_size ? CS_DONE : CS_DIFF_LEN;
    return delta_step_end(d);
}

/* One symbol (or the first five code bytes). */
static int step(struct ota_delta *d)
{
    struct ota_delta_compact *c = &d->u.compact;
    if (c->init_bytes < 5) {
        rd_start(d, &c->code, &c->init_bytes);
        return 0;
    }
    if (c->state == CS_DIFF_LEN && delta_at_sync(d)) {
        /* the encoder flushed its coder and reset every model here */
        delta_sync_point(d);
        cm_init(c);
        return 0;
    }
    switch (c->state) {
    case CS_DIFF_LEN:
        return dec_run_len(d, &c->len_diff, CS_DIFF, CS_EXTRA_LEN);
    case CS_EXTRA_LEN:
        return dec_run_len(d, &c->len_extra, CS_EXTRA, CS_SEEK);
    case CS_DIFF:
        return dec_diff_step(d);
    case CS_MAP_COUNT:
        return dec_map_count(d);
    case CS_MAP:
        return dec_map_piece(d);
    case CS_EXTRA:
        return dec_extra(d);
    case CS_COPY:
        return copy_extra(d);
    default:
        return dec_seek(d);
    }
}

static int run(struct ota_delta *d, bool final)
{
    int rc = 0;
    while (!rc && d->u.compact.state != CS_DONE &&
           (d->u.compact.state == CS_COPY || d->in_len - d->in_pos >= STEP_MAX_BYTES || final)) {
        rc = step(d);
        if (final && d->overread > 8) {
            return OTA_ERR_DELTA_TRUNCATED;
        }
    }
    return rc ? rc : d->u.compact.state == CS_DONE;
}

int delta_compact_start(struct ota_delta *d)
{
    if (!d->read_new) {
        return OTA_ERR_DELTA_UNSUPPORTED; /* no way to read back what was written: matches need it */
    }
    cm_init(&d->u.compact);
    d->u.compact.state = d->hdr.new_size ? CS_DIFF_LEN : CS_DONE;
    if (d->hdr.flags & OTA_DELTA_FLAG_RELOC) {
        if (!d->rl.ops) {
            return OTA_ERR_DELTA_UNSUPPORTED; /* nowhere to keep the map */
        }
        rl_sweep_init(&d->rl.sw);
        d->u.compact.state = CS_MAP_COUNT;
        return rl_parse_segs(d->read_old, d->ctx, d->old_size, d->rl.old, &d->rl.nsegs);
    }
    d->in_len = d->in_pos = d->overread = 0;
    d->old_buf_len = 0;
    return 0;
}

/* Resumed at a sync point: the map is the one the scratch region holds, if
 * its CRC-32 (over the image's SHA-256 and the records) says it is whole
 * and this patch's. */
int delta_compact_resumed(struct ota_delta *d)
{
    struct ota_delta_reloc *r = &d->rl;
    d->u.compact.state = CS_DIFF_LEN;
    if (!(d->hdr.flags & OTA_DELTA_FLAG_RELOC)) {
        return 0;
    }
    uint8_t b[OTA_DELTA_RELOC_REC];
    int rc = r->ops->read(r->ctx, r->size - OTA_DELTA_RELOC_REC, b, sizeof(b));
    r->n = get_le32(b + 4);
    if (rc || get_le32(b) != OTA_DELTA_RELOC_MAGIC || !map_base(r, r->n) ||
        (r->shared && d->hdr.new_size > r->base)) {
        return rc ? rc : OTA_ERR_DELTA_RELOC_TORN;
    }
    uint32_t want = get_le32(b + 8), crc = ota_crc32(0, d->hdr.new_sha256, OTA_SHA256_LEN);
    for (uint32_t i = 0; i < r->n && !rc; i++) {
        rc = r->ops->read(r->ctx, r->base + i * OTA_DELTA_RELOC_REC, b, sizeof(b));
        crc = ota_crc32(crc, b, sizeof(b));
        r->lo = i ? r->lo : get_le32(b);
        r->hi = get_le32(b) + get_le32(b + 4);
    }
    return rc ? rc : crc == want ? 0 : OTA_ERR_DELTA_RELOC_TORN;
}

int delta_compact_feed(struct ota_delta *d, const uint8_t *p, size_t len)
{
    return delta_buffered_feed(d, p, len, run);
}

int delta_compact_end(struct ota_delta *d)
{
    return delta_buffered_end(d, run);
}
#endif
