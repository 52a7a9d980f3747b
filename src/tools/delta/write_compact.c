/*
 * Our compact patch format (docs/delta-format.md): the same plan as the esp
 * format, but every symbol range-coded with adaptive context models that
 * the device keeps in under 16 KiB (src/core/delta/compact_model.h is the
 * one definition of the model, shared with the decoder).
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "delta/compact_model.h"
#include "delta/compact_reloc.h"
#include "delta_make.h"
#include "lz_find.h"
#include "range_enc.h"

/* The LZ77 part of extra runs is the compressed-image format's, coded
 * through this encoder. */
struct cz_io {
    struct range_enc *rc;
};

static inline int cz_bit(struct cz_io *io, unsigned p0, int bit)
{
    range_enc_bit(io->rc, p0, bit);
    return bit;
}

#include "compress/cz_model.h"
#include "lz_price.h" /* after the model: it uses its updates */

static void enc_bit(struct range_enc *e, ota_delta_prob *p, int bit)
{
    range_enc_bit(e, *p, bit);
    cm_update(p, bit);
}

static void enc_extra_literal(struct range_enc *e, struct ota_delta_compact *c, uint8_t b)
{
    struct cm_mix m;
    unsigned node = 1;
    for (unsigned i = 0; i < 8; i++) {
        int bit = (b >> (7 - i)) & 1;
        range_enc_bit(e, cm_mix_predict(c, &m, node, i), bit);
        cm_mix_update(&m, bit);
        node = (node << 1) | (unsigned)bit;
    }
}

static void enc_direct(struct range_enc *e, uint32_t v, unsigned n)
{
    while (n--) {
        ota_delta_prob half = CM_PROB_ONE / 2;
        enc_bit(e, &half, (v >> n) & 1u);
    }
}

static void enc_tree(struct range_enc *e, ota_delta_prob *probs, unsigned bits, uint32_t v)
{
    uint32_t node = 1;
    for (unsigned i = bits; i--;) {
        int bit = (v >> i) & 1u;
        enc_bit(e, &probs[node], bit);
        node = (node << 1) | (uint32_t)bit;
    }
}

static void enc_uint(struct range_enc *e, struct ota_delta_int_model *m, uint32_t v)
{
    unsigned n = 0;
    while (n < 32 && (v >> n)) {
        n++;
    }
    enc_tree(e, m->nbits, 6, n);
    if (n <= 1) {
        return;
    }
    unsigned rest = n - 1, ctx_bits = rest < CM_MANTISSA_CTX_BITS ? rest : CM_MANTISSA_CTX_BITS;
    enc_tree(e, cm_int_high(m, n), ctx_bits, (v >> (rest - ctx_bits)) & ((1u << ctx_bits) - 1u));
    enc_direct(e, v, rest - ctx_bits);
}

static void enc_diff_byte(struct range_enc *e, struct ota_delta_compact *c, uint8_t diff, uint8_t old0, uint32_t np)
{
    enc_bit(e, &c->zero[cm_zero_ctx(c, old0)], diff != 0);
    if (diff) {
        int same = diff == c->last_nz[np & 3u];
        enc_bit(e, &c->repeat[cm_repeat_ctx(c, np)], same);
        if (!same) {
            enc_tree(e, c->diff[cm_diff_ctx(c)], 8, diff);
        }
    }
    cm_after_diff(c, diff, old0, np);
}

static void enc_seek(struct range_enc *e, struct ota_delta_compact *c, int64_t seek, int32_t align)
{
    unsigned i = cm_rep_find(c, align);
    enc_bit(e, &c->is_rep[cm_rep_ctx(c)], i < OTA_DELTA_REPS);
    if (i < OTA_DELTA_REPS) {
        enc_tree(e, c->rep_idx, 2, i);
    } else {
        uint64_t mag = seek < 0 ? (uint64_t)(-seek) : (uint64_t)seek;
        enc_uint(e, &c->seek, (uint32_t)mag);
        if (mag) {
            enc_bit(e, &c->seek.sign, seek < 0);
        }
    }
    cm_rep_use(c, i, align);
}

/* Relocations: the map, its worth per piece, the old image's segments and
 * the sweep over the new image (up to sw_pos) in r, as the decoder has them. */
struct enc_reloc {
    struct ota_delta_reloc r;
    uint32_t (*map)[3];
    uint32_t *use;    /* per piece: predictions that held */
    size_t count;
    uint32_t sw_pos;  /* new-image bytes the sweep has seen */
};

#define RL_KEEP_MIN 2u /* a piece pays for itself with about 2 predictions */

static int enc_rec(void *ctx, uint32_t i, uint32_t rec[3])
{
    const struct enc_reloc *rl = ctx;
    memcpy(rec, rl->map[i], sizeof(rl->map[i]));
    return 0;
}

static void enc_sweep_to(struct enc_reloc *rl, const uint8_t *nw, size_t np)
{
    for (; rl->sw_pos < np; rl->sw_pos++) {
        rl_sweep_byte(&rl->r.sw, rl->sw_pos, nw[rl->sw_pos]);
    }
}

/* The phase of new offset np, as the decoder has it (rl NULL: no sweep). */
static uint8_t enc_phase(struct enc_reloc *rl, const uint8_t *nw, size_t np)
{
    if (rl) {
        enc_sweep_to(rl, nw, np);
    }
    return rl_phase(rl ? &rl->r.sw : NULL, rl != NULL, (uint32_t)np);
}

static void enc_reloc_sync(struct enc_reloc *rl, const uint8_t *nw, size_t np)
{
    enc_sweep_to(rl, nw, np);
    rl_sweep_sync(&rl->r.sw, (uint32_t)np);
}

/* The candidates at a diff byte, their flags; the length of the prediction
 * that holds (its bytes are not coded), or 0. */
static uint32_t enc_reloc(struct enc_reloc *rl, struct range_enc *e, struct ota_delta_compact *c, const uint8_t *old,
                          size_t old_len, const uint8_t *nw, size_t op, size_t np, uint32_t room)
{
    uint8_t ob[4];
    uint32_t n = 0;
    struct rl_cand cand[2];
    enc_sweep_to(rl, nw, np);
    while (n < 4 && n < room && op + n < old_len) {
        ob[n] = old[op + n];
        n++;
    }
    int k = rl_candidates(&rl->r, enc_rec, rl, (uint32_t)np, room, (uint32_t)op, ob, n, cand);
    for (int i = 0; i < k; i++) {
        int bit = memcmp(cand[i].pred, nw + np, cand[i].len) == 0;
        enc_bit(e, rl_flag_prob(c, cand[i].kind), bit);
        rl_flag_seen(c, cand[i].kind, bit);
        if (bit) {
            rl->use[cand[i].piece]++;
            return cand[i].len;
        }
    }
    return 0;
}

static void enc_reloc_map(struct enc_reloc *rl, struct range_enc *e, struct ota_delta_compact *c)
{
    uint32_t end = 0, shift = 0;
    enc_uint(e, &c->seek, (uint32_t)rl->count);
    for (size_t i = 0; i < rl->count; i++) {
        int64_t d = (int64_t)(int32_t)rl->map[i][2] - (int32_t)shift;
        enc_uint(e, &c->len_diff, rl->map[i][0] - end);
        enc_uint(e, &c->len_extra, rl->map[i][1]);
        enc_uint(e, &c->seek, (uint32_t)(d < 0 ? -d : d));
        if (d) {
            enc_bit(e, &c->seek.sign, d < 0);
        }
        end = rl->map[i][0] + rl->map[i][1];
        shift = rl->map[i][2];
    }
    rl->r.n = (uint32_t)rl->count;
    rl->r.lo = rl->count ? rl->map[0][0] : 0;
    rl->r.hi = end;
    rl_sweep_init(&rl->r.sw);
    rl->sw_pos = 0;
}

/* Keep the pieces whose predictions held often enough to pay for sending them. */
static int enc_reloc_prune(struct enc_reloc *rl)
{
    size_t kept = 0;
    for (size_t i = 0; i < rl->count; i++) {
        if (rl->use[i] >= RL_KEEP_MIN) {
            memmove(rl->map[kept++], rl->map[i], sizeof(rl->map[i]));
        }
    }
    rl->count = kept;
    memset(rl->use, 0, rl->count * sizeof(*rl->use));
    return 0;
}

static void enc_reloc_free(struct enc_reloc *rl)
{
    if (rl) {
        free(rl->map);
        free(rl->use);
        free(rl);
    }
}

static int enc_reloc_new(struct enc_reloc **out, const uint8_t *old, size_t old_len, const uint8_t *nw,
                         size_t new_len, const struct delta_plan *plan)
{
    struct enc_reloc *rl = calloc(1, sizeof(*rl));
    *out = rl;
    if (!rl || delta_image_segs(old, old_len, rl->r.old, &rl->r.nsegs) ||
        delta_reloc_map(old, old_len, nw, new_len, plan, &rl->map, &rl->count)) {
        return -1;
    }
    rl->use = calloc(rl->count + 1, sizeof(*rl->use));
    return rl->use ? 0 : -1;
}

/* The price-based parse of extra runs, a block at a time (as a compressed
 * image's): prices of the model as the block starts, each position's phase,
 * the nodes of the cheapest path. */
struct extra_parser {
    struct lz_prices pr;
    struct cz_node nodes[CZ_PARSE_BLOCK + 1];
    uint8_t phase[CZ_PARSE_BLOCK];
};

/* What encoding a patch needs: the coder, the model, both images (the new
 * one in the match finder), relocations (NULL: not predicted). */
struct enc {
    struct range_enc *e;
    struct ota_delta_compact *c;
    const uint8_t *old;
    size_t old_len;
    struct lz_finder *f;
    struct enc_reloc *rl;
    struct extra_parser *ps;
};

/* One step of the plan: diff_len diff bytes from the old cursor op, extra_len
 * new bytes as they are, then the old cursor moves by seek. */
struct enc_pos {
    size_t op, np;
};

/* The phases of new offsets i.. i + n - 1 as the decoder will have them,
 * from a copy of the sweep (the sweep itself stays where it is). */
static void extra_phases(const struct enc_reloc *rl, const uint8_t *nw, uint32_t i, uint32_t n, uint8_t *out)
{
    if (!rl) {
        for (uint32_t k = 0; k < n; k++) {
            out[k] = rl_phase(NULL, false, i + k);
        }
        return;
    }
    struct ota_delta_sweep sw = rl->r.sw;
    uint32_t at = rl->sw_pos;
    for (uint32_t k = 0; k < n; k++) {
        for (; at < i + k; at++) {
            rl_sweep_byte(&sw, at, nw[at]);
        }
        out[k] = rl_phase(&sw, true, i + k);
    }
}

/* The context of an extra byte at new offset i that the decoder reads back
 * from the new image: the two bytes before it and the byte the last match
 * distance points at. */
static void extra_byte_ctx(struct ota_delta_compact *c, const uint8_t *in, uint32_t i, uint32_t rep0)
{
    c->n1 = i >= 2 ? in[i - 1] : 0;
    c->n2 = i >= 2 ? in[i - 2] : 0;
    c->mbyte = rep0 <= i ? in[i - rep0] : 0;
}

/* What the extra byte at new offset i would cost as a literal, the model as
 * it is now, with the byte's phase and the match state of the path's node
 * before it (its last distance and kinds). */
static uint32_t price_extra_literal(const uint32_t *price, struct ota_delta_compact *c, const uint8_t *in, uint32_t i,
                                    uint8_t phase, const struct cz_node *nd)
{
    const uint8_t keep[5] = {c->phase, c->n1, c->n2, c->mbyte, c->lz.kinds};
    c->lz.kinds = (uint8_t)(nd->kinds << 1); /* the literal's flag is in the kinds when it is coded */
    c->phase = phase;
    extra_byte_ctx(c, in, i, nd->rep[0]);
    struct cm_mix m;
    unsigned node = 1;
    uint32_t sum = 0;
    for (unsigned k = 0; k < 8; k++) {
        int bit = (in[i] >> (7 - k)) & 1;
        sum += price_bit(price, cm_mix_predict(c, &m, node, k), bit);
        node = (node << 1) | (unsigned)bit;
    }
    c->phase = keep[0];
    c->n1 = keep[1];
    c->n2 = keep[2];
    c->mbyte = keep[3];
    c->lz.kinds = keep[4];
    return sum;
}

/* The cheapest way through new offsets i.. of an extra run ending at end,
 * at most one block (shorter where a long match starts): returns where it
 * ends. Every position parsed is in the hash chains after. */
static uint32_t parse_extra_block(struct enc *x, uint32_t i, uint32_t end)
{
    struct extra_parser *ps = x->ps;
    struct ota_delta_compact *c = x->c;
    const struct ota_cz_lz *z = &c->lz;
    const uint8_t *in = x->f->in;
    uint32_t stop = end - i > CZ_PARSE_BLOCK ? i + CZ_PARSE_BLOCK : end;
    struct cz_cand cands[CZ_MAX_CANDS];
    ps->nodes[0] = (struct cz_node){0, 0, 0, {0}, 0, z->kinds, 0};
    memcpy(ps->nodes[0].rep, z->rep, sizeof(z->rep));
    for (uint32_t j = 1; j <= stop - i; j++) {
        ps->nodes[j].cost = CZ_INF;
    }
    price_lengths(&ps->pr, z);
    extra_phases(x->rl, in, i, stop - i, ps->phase);
    for (uint32_t pos = i; pos < stop; pos++) {
        unsigned n = collect(x->f, pos, end - pos, cands);
        if (pos > i && n && cands[n - 1].len >= CZ_NICE_LEN) {
            return pos;
        }
        lz_insert(x->f, pos);
        uint32_t j = pos - i;
        const struct cz_node *nd = &ps->nodes[j];
        unsigned flag = (nd->kinds & 7u) * 4u + (pos & 3u);
        uint32_t lit = nd->cost + price_bit(ps->pr.price, z->is_match[flag], 0) +
                       price_extra_literal(ps->pr.price, c, in, pos, ps->phase[j], nd);
        relax(&ps->nodes[j + 1], nd, lit, 0, 0, 0);
        uint32_t match = nd->cost + price_bit(ps->pr.price, z->is_match[flag], 1);
        relax_matches(&ps->pr, x->f, z, ps->nodes, j, pos, stop, match, cands, n);
    }
    return stop;
}

/* One symbol of an extra run at new offset i, coded: a literal (len 0) or
 * a match; the model learns it. */
static void emit_extra(struct enc *x, uint32_t i, uint32_t len, uint32_t dist, unsigned rep_i)
{
    struct ota_delta_compact *c = x->c;
    const uint8_t *in = x->f->in;
    struct cz_io io = {x->e};
    cz_prob_bit(&io, cz_is_match(&c->lz, i), len > 0);
    if (len == 0) {
        cz_lz_after_literal(&c->lz);
        c->phase = enc_phase(x->rl, in, i);
        extra_byte_ctx(c, in, i, c->lz.rep[0]);
        enc_extra_literal(x->e, c, in[i]);
    } else {
        cz_match(&io, &c->lz, len, &dist, &rep_i);
        cz_lz_after_match(&c->lz, rep_i, dist);
    }
}

/* The block's path from i to end, coded: walked back from end, then forwards. */
static void emit_extra_block(struct enc *x, uint32_t i, uint32_t end)
{
    struct cz_node *nodes = x->ps->nodes;
    link_path_forwards(nodes, end - i);
    for (uint32_t j = 0; j < end - i;) {
        uint32_t to = nodes[j].cost;
        emit_extra(x, i + j, nodes[to].len, nodes[to].dist, nodes[to].rep_i);
        j = to;
    }
}

/* An extra run: literals and matches into the new image so far, by price;
 * a match of CZ_NICE_LEN bytes or more is taken at once. */
static void enc_extra_run(struct enc *x, uint32_t i, uint32_t end)
{
    struct lz_finder *f = x->f;
    while (i < end) {
        struct lz_choice ch = lz_best_at(f, i, x->c->lz.rep, end - i);
        if (ch.len >= CZ_NICE_LEN) {
            emit_extra(x, i, ch.len, ch.dist, ch.rep_i);
            for (uint32_t k = 0; k < ch.len; k++) {
                lz_insert(f, i++);
            }
            continue;
        }
        uint32_t stop = parse_extra_block(x, i, end);
        emit_extra_block(x, i, stop);
        i = stop;
    }
}

static void enc_cmd(struct enc *x, struct enc_pos *at, const struct delta_cmd *cmd)
{
    struct range_enc *e = x->e;
    struct ota_delta_compact *c = x->c;
    const uint8_t *nw = x->f->in, *old = x->old;
    enc_uint(e, &c->len_diff, cmd->diff_len);
    for (uint32_t i = 0; i < cmd->diff_len;) {
        uint32_t k = x->rl ? enc_reloc(x->rl, e, c, old, x->old_len, nw, at->op, at->np, cmd->diff_len - i) : 0;
        if (k == 0) {
            c->phase = enc_phase(x->rl, nw, at->np);
            enc_diff_byte(e, c, (uint8_t)(nw[at->np] - old[at->op]), old[at->op], (uint32_t)at->np);
            k = 1;
        }
        for (uint32_t j = 0; j < k; j++, i++, at->op++, at->np++) {
            lz_insert(x->f, (uint32_t)at->np);
        }
    }
    enc_uint(e, &c->len_extra, cmd->extra_len);
    enc_extra_run(x, (uint32_t)at->np, (uint32_t)at->np + cmd->extra_len);
    at->np += cmd->extra_len;
    enc_seek(e, c, cmd->seek, (int32_t)((int64_t)at->op + cmd->seek - (int64_t)at->np));
    at->op = (size_t)((int64_t)at->op + cmd->seek);
}

/* A sync point at new offset at->np: the coder's last bytes out, a fresh
 * coder, every model reset and the old cursor at the new offset, so a
 * decoder can start here knowing only the output before it. A step that
 * only seeks puts the cursor back where the plan has it. */
static void sync_point(struct enc *x, struct enc_pos *at)
{
    range_enc_flush(x->e);
    struct range_enc fresh = RANGE_ENC_INIT(x->e->out);
    fresh.err = x->e->err;
    *x->e = fresh;
    cm_init(x->c);
    if (x->rl) {
        enc_reloc_sync(x->rl, x->f->in, at->np);
    }
    size_t op = at->op;
    at->op = at->np;
    if (op != at->np) {
        struct delta_cmd seek = {0, 0, (int64_t)op - (int64_t)at->np};
        enc_cmd(x, at, &seek);
    }
}

/* The plan, its steps cut so that none crosses a multiple of sync (0: no
 * sync points): a step that would is split there, its first part seeking
 * nowhere. */
static void enc_plan(struct enc *x, const struct delta_plan *plan, uint32_t sync)
{
    struct lz_finder *f = x->f;
    struct enc_pos at = {0, 0};
    size_t synced = 0;
    for (size_t k = 0; k < plan->count; k++) {
        struct delta_cmd cmd = plan->cmds[k];
        for (;;) {
            if (sync && at.np % sync == 0 && at.np != synced && at.np < f->len) {
                synced = at.np;
                sync_point(x, &at);
            }
            size_t stop = sync ? at.np - at.np % sync + sync : SIZE_MAX;
            if (at.np + cmd.diff_len + cmd.extra_len <= stop) {
                break;
            }
            struct delta_cmd head = {0, 0, 0};
            head.diff_len = at.np + cmd.diff_len > stop ? (uint32_t)(stop - at.np) : cmd.diff_len;
            head.extra_len = (uint32_t)(stop - at.np) - head.diff_len;
            cmd.diff_len -= head.diff_len;
            cmd.extra_len -= head.extra_len;
            enc_cmd(x, &at, &head);
        }
        enc_cmd(x, &at, &cmd);
    }
}

int delta_write_compact(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                        const struct delta_plan *plan, struct delta_buf *out)
{
    return delta_write_compact_opts(old, old_len, nw, new_len, plan, OTA_DELTA_COMPACT_SYNC_DEFAULT, 0, out);
}

int delta_write_compact_sync(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                             const struct delta_plan *plan, uint32_t sync, struct delta_buf *out)
{
    return delta_write_compact_opts(old, old_len, nw, new_len, plan, sync, 0, out);
}

/* The body: the relocation map if any, then the plan, into out. */
static int enc_body(const uint8_t *old, size_t old_len, struct lz_finder *f, const struct delta_plan *plan,
                    uint32_t sync, struct enc_reloc *rl, struct delta_buf *out)
{
    struct ota_delta_compact *c = calloc(1, sizeof(*c));
    struct extra_parser *ps = malloc(sizeof(*ps));
    if (!c || !ps) {
        free(c);
        free(ps);
        return -1;
    }
    price_init(ps->pr.price);
    memset(f->head, 0xff, sizeof(int32_t) << LZ_HASH_BITS); /* a second pass starts with no history */
    cm_init(c);
    struct range_enc e = RANGE_ENC_INIT(out);
    struct enc x = {&e, c, old, old_len, f, rl, ps};
    if (rl) {
        enc_reloc_map(rl, &e, c);
        cm_init(c);
    }
    enc_plan(&x, plan, sync);
    range_enc_flush(&e);
    free(c);
    free(ps);
    return e.err ? -1 : 0;
}

int delta_write_compact_opts(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                             const struct delta_plan *plan, uint32_t sync, unsigned flags, struct delta_buf *out)
{
    if (sync % OTA_CZ_SYNC_UNIT || (flags & ~OTA_DELTA_FLAG_RELOC)) {
        return -1;
    }
    uint8_t hdr[OTA_DELTA_COMPACT_HEADER_LEN] = {0};
    put_le32(hdr, OTA_DELTA_COMPACT_MAGIC);
    hdr[4] = sync ? OTA_DELTA_COMPACT_VERSION : OTA_DELTA_COMPACT_VERSION_NO_SYNC;
    hdr[5] = (uint8_t)flags;
    put_le32(hdr + 8, (uint32_t)old_len);
    put_le32(hdr + 12, (uint32_t)new_len);
    if (old_len >= 32) {
        memcpy(hdr + 16, old + old_len - 32, 32);
    }
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, nw, new_len);
    ota_sha256_finish(&sha, hdr + 48);
    put_le32(hdr + 80, sync); /* version 3: reserved, 0 */
    struct lz_finder f;
    struct enc_reloc *rl = NULL;
    int err = lz_finder_init(&f, nw, new_len) || delta_buf_put(out, hdr, sizeof(hdr));
    if (!err && (flags & OTA_DELTA_FLAG_RELOC)) {
        err = enc_reloc_new(&rl, old, old_len, nw, new_len, plan);
    }
    if (!err && rl) { /* a first pass counts what each piece of the map is worth */
        struct delta_buf trial = {0};
        err = enc_body(old, old_len, &f, plan, sync, rl, &trial);
        free(trial.data);
        err = err || enc_reloc_prune(rl);
    }
    if (!err) {
        err = enc_body(old, old_len, &f, plan, sync, rl, out);
    }
    enc_reloc_free(rl);
    lz_finder_free(&f);
    return err ? -1 : 0;
}
