/*
 * Relocation prediction of compact patches (docs/delta-format.md,
 * "Relocations"), shared word for word by the decoder (core) and the
 * encoder (host tool) so that both find the same candidates: a sweep over
 * the new image as it is written (segment headers, instruction starts in
 * code segments), the old image's segment table, and the prediction of a
 * CALLn/J, L32R or pointer whose target moved, through the map of
 * constant-shift pieces (old address -> address shift). Change it only
 * together with the format.
 */
#ifndef OTA_DELTA_COMPACT_RELOC_H
#define OTA_DELTA_COMPACT_RELOC_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/delta.h"
#include "ota/error.h"

enum { RL_PTR_DATA, RL_PTR_CODE, RL_CALL, RL_L32R, RL_KINDS };

#define RL_NONE UINT32_MAX
#define RL_IMAGE_HDR 24u

static inline bool rl_is_code(uint32_t addr)
{
    return addr >= 0x40000000u && addr < 0x40400000u; /* IRAM, RTC fast, IROM */
}

static inline uint32_t rl_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An app image's segment table, read through read(ctx, off, buf, len) from
 * an image of size bytes: OTA_ERR_DELTA_RELOC_IMAGE unless it is one. */
static inline int rl_parse_segs(ota_delta_read_fn read, void *ctx, uint32_t size, struct ota_delta_seg *segs,
                                uint8_t *n)
{
    uint8_t b[8];
    int rc = size < RL_IMAGE_HDR ? OTA_ERR_DELTA_RELOC_IMAGE : read(ctx, 0, b, 2);
    if (rc || b[0] != 0xE9 || b[1] > OTA_DELTA_RELOC_SEGS) {
        return rc ? rc : OTA_ERR_DELTA_RELOC_IMAGE;
    }
    uint64_t off = RL_IMAGE_HDR;
    *n = b[1];
    for (unsigned i = 0; i < *n; i++) {
        if (off + 8 > size || (rc = read(ctx, (uint32_t)off, b, 8))) {
            return rc ? rc : OTA_ERR_DELTA_RELOC_IMAGE;
        }
        segs[i].off = (uint32_t)off + 8;
        segs[i].addr = rl_le32(b);
        segs[i].len = rl_le32(b + 4);
        off += 8u + (uint64_t)segs[i].len;
        if (off > size) {
            return OTA_ERR_DELTA_RELOC_IMAGE;
        }
    }
    return 0;
}

static inline void rl_sweep_init(struct ota_delta_sweep *s)
{
    s->next_hdr = RL_NONE;
    s->seg_off = s->seg_end = s->seg_addr = s->next_insn = 0;
    s->seg_left = 0;
}

/* The new image's byte b at offset pos (every byte, in order). */
static inline int rl_sweep_byte(struct ota_delta_sweep *s, uint32_t pos, uint8_t b)
{
    if (pos < RL_IMAGE_HDR) {
        if ((pos == 0 && b != 0xE9) || (pos == 1 && b > OTA_DELTA_RELOC_SEGS)) {
            return OTA_ERR_DELTA_RELOC_IMAGE;
        }
        if (pos == 1 && b) {
            s->seg_left = b;
            s->next_hdr = RL_IMAGE_HDR;
        }
        return 0;
    }
    if (pos >= s->next_hdr && pos - s->next_hdr < 8u) {
        s->hdr[pos - s->next_hdr] = b;
        if (pos - s->next_hdr == 7u) {
            uint64_t end = (uint64_t)pos + 1u + rl_le32(s->hdr + 4);
            s->seg_off = pos + 1u;
            s->seg_end = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
            s->seg_addr = rl_le32(s->hdr);
            s->next_insn = s->seg_off;
            s->next_hdr = --s->seg_left ? s->seg_end : RL_NONE;
        }
        return 0;
    }
    if (pos == s->next_insn && pos >= s->seg_off && pos < s->seg_end) {
        s->next_insn += (b & 15u) >= 8u && (b & 15u) <= 13u ? 2u : 3u;
    }
    return 0;
}

/* The phase of new offset p, a context of its byte (the bytes before it
 * swept): with relocations, 0 an instruction starts there, 1 its last byte,
 * 2 the middle byte of a 3-byte one, 3 anything else (data, headers);
 * without them (no sweep), p & 3. Code and data bytes differ most by where
 * in an instruction they sit. */
static inline uint8_t rl_phase(const struct ota_delta_sweep *s, bool reloc, uint32_t p)
{
    if (!reloc) {
        return (uint8_t)(p & 3u);
    }
    if (p < s->seg_off || p >= s->seg_end || p >= s->next_hdr || !rl_is_code(s->seg_addr)) {
        return 3;
    }
    uint32_t k = s->next_insn - p;
    return (uint8_t)(k <= 2 ? k : 3);
}

/* At a sync point: an instruction starts there (the state both sides and a
 * resumed decoder agree on). */
static inline void rl_sweep_sync(struct ota_delta_sweep *s, uint32_t pos)
{
    s->next_insn = pos;
}

/* The load address of old image offset q, if inside a segment. */
static inline bool rl_old_addr(const struct ota_delta_reloc *r, uint32_t q, uint32_t *addr)
{
    for (unsigned i = 0; i < r->nsegs; i++) {
        if (q >= r->old[i].off && q - r->old[i].off < r->old[i].len) {
            *addr = r->old[i].addr + (q - r->old[i].off);
            return true;
        }
    }
    return false;
}

/* Map record i (0-based): start address, length, address shift. */
typedef int (*rl_rec_fn)(void *ctx, uint32_t i, uint32_t rec[3]);

/* The new address of old address a: 1 and *to (*piece its index), 0 when
 * no piece holds it. */
static inline int rl_map(struct ota_delta_reloc *r, rl_rec_fn rec, void *ctx, uint32_t a, uint32_t *to,
                         uint32_t *piece)
{
    uint32_t lo = 0, hi = r->n, v[3];
    if (a < r->lo || a >= r->hi) {
        return 0; /* most words are no address at all: no search */
    }
    /* Neighbouring words often point into the piece the last lookup found:
     * the pieces are sorted and disjoint, so the one holding a is the one
     * the search finds. A stale hint costs one read, never a wrong answer. */
    if (r->hint < r->n) {
        int rc = rec(ctx, r->hint, v);
        if (rc) {
            return rc;
        }
        if (a - v[0] < v[1]) {
            *to = a + v[2];
            *piece = r->hint;
            return 1;
        }
    }
    while (lo < hi) { /* the first piece starting above a */
        uint32_t mid = lo + (hi - lo) / 2;
        int rc = rec(ctx, mid, v);
        if (rc) {
            return rc;
        }
        if (v[0] <= a) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return 0;
    }
    int rc = rec(ctx, lo - 1, v);
    if (rc || a - v[0] >= v[1]) {
        return rc;
    }
    *to = a + v[2];
    *piece = r->hint = lo - 1;
    return 1;
}

struct rl_cand {
    uint8_t kind, len;
    uint8_t pred[4];
    uint32_t piece;  /* the map piece of its target */
};

static inline int32_t rl_sext(uint32_t v, unsigned bits)
{
    return (int32_t)(v << (32u - bits)) >> (32u - bits);
}

/* CALL0/4/8/12 (op0 5, target (pc & ~3) + (offset << 2) + 4), J (op0 6,
 * n 0, target pc + 4 + offset), L32R (op0 1, target ((pc + 3) & ~3) +
 * (offset << 2), offset extended with ones): the same instruction naming
 * the mapped target, 1 if it can be encoded. */
static inline int rl_predict_insn(struct ota_delta_reloc *r, rl_rec_fn rec, void *ctx, const uint8_t *ob,
                                  uint32_t pc_old, uint32_t pc_new, struct rl_cand *c)
{
    uint32_t w = ob[0] | (uint32_t)ob[1] << 8 | (uint32_t)ob[2] << 16, op0 = w & 15u, t = 0;
    int64_t rel;
    int rc;
    if (op0 == 1u) {
        rc = rl_map(r, rec, ctx, ((pc_old + 3u) & ~3u) + ((w >> 8) - 0x10000u) * 4u, &t, &c->piece);
        rel = ((int64_t)t - ((pc_new + 3u) & ~3u)) / 4 + 0x10000;
        if (rc <= 0 || (t & 3u) || rel < 0 || rel > 0xFFFF) {
            return rc < 0 ? rc : 0;
        }
        w = (w & 0xFFu) | (uint32_t)rel << 8;
        c->kind = RL_L32R;
    } else if (op0 == 5u) {
        rc = rl_map(r, rec, ctx, (pc_old & ~3u) + (uint32_t)rl_sext(w >> 6, 18) * 4u + 4u, &t, &c->piece);
        rel = ((int64_t)t - (pc_new & ~3u) - 4) / 4;
        if (rc <= 0 || (t & 3u) || rel < -(1 << 17) || rel >= (1 << 17)) {
            return rc < 0 ? rc : 0;
        }
        w = (w & 63u) | ((uint32_t)rel & 0x3FFFFu) << 6;
        c->kind = RL_CALL;
    } else if (op0 == 6u && ((w >> 4) & 3u) == 0) {
        rc = rl_map(r, rec, ctx, pc_old + 4u + (uint32_t)rl_sext(w >> 6, 18), &t, &c->piece);
        rel = (int64_t)t - pc_new - 4;
        if (rc <= 0 || rel < -(1 << 17) || rel >= (1 << 17)) {
            return rc < 0 ? rc : 0;
        }
        w = (w & 63u) | ((uint32_t)rel & 0x3FFFFu) << 6;
        c->kind = RL_CALL;
    } else {
        return 0;
    }
    c->len = 3;
    c->pred[0] = (uint8_t)w, c->pred[1] = (uint8_t)(w >> 8), c->pred[2] = (uint8_t)(w >> 16);
    return 1;
}

static inline bool rl_differs(const struct rl_cand *c, const uint8_t *ob)
{
    for (unsigned i = 0; i < c->len; i++) {
        if (c->pred[i] != ob[i]) {
            return true;
        }
    }
    return false;
}

/* The candidates at new offset p of a diff run with room bytes left, the
 * old cursor at q with its next bytes ob (ob_len of them, up to 4): an
 * instruction where the sweep has one start in code, then a 4-aligned
 * word, each only when its prediction differs from the old bytes. Returns
 * how many (0..2) or an error. */
static inline int rl_candidates(struct ota_delta_reloc *r, rl_rec_fn rec, void *ctx, uint32_t p, uint32_t room,
                                uint32_t q, const uint8_t *ob, uint32_t ob_len, struct rl_cand out[2])
{
    const struct ota_delta_sweep *s = &r->sw;
    if (p < s->seg_off || p >= s->seg_end || p >= s->next_hdr) {
        return 0;
    }
    uint32_t pc_new = s->seg_addr + (p - s->seg_off), left = s->seg_end - p, pc_old, n = 0;
    room = room < left ? room : left;
    room = room < ob_len ? room : ob_len;
    int rc = 0;
    if (p == s->next_insn && rl_is_code(pc_new) && room >= 3 && rl_old_addr(r, q, &pc_old)) {
        rc = rl_predict_insn(r, rec, ctx, ob, pc_old, pc_new, &out[n]);
        n += rc > 0 && rl_differs(&out[n], ob);
    }
    uint32_t t = 0;
    if (rc >= 0 && (pc_new & 3u) == 0 && room >= 4 && (rc = rl_map(r, rec, ctx, rl_le32(ob), &t, &out[n].piece)) > 0) {
        struct rl_cand *c = &out[n];
        c->kind = rl_is_code(pc_new) ? RL_PTR_CODE : RL_PTR_DATA;
        c->len = 4;
        c->pred[0] = (uint8_t)t, c->pred[1] = (uint8_t)(t >> 8), c->pred[2] = (uint8_t)(t >> 16);
        c->pred[3] = (uint8_t)(t >> 24);
        n += rl_differs(c, ob);
    }
    return rc < 0 ? rc : (int)n;
}

/* The flag's probability: context the kind and its last flag. */
static inline ota_delta_prob *rl_flag_prob(struct ota_delta_compact *c, unsigned kind)
{
    return &c->rl_flag[kind][(c->rl_last >> kind) & 1u];
}

static inline void rl_flag_seen(struct ota_delta_compact *c, unsigned kind, int bit)
{
    c->rl_last = (uint8_t)((c->rl_last & ~(1u << kind)) | (unsigned)bit << kind);
}

#endif
