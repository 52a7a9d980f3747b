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
#include "delta_make.h"
#include "range_enc.h"

static void enc_bit(struct range_enc *e, ota_delta_prob *p, int bit)
{
    range_enc_bit(e, *p, bit);
    cm_update(p, bit);
}

static void enc_extra(struct range_enc *e, struct ota_delta_compact *c, uint8_t b)
{
    struct cm_mix m;
    unsigned node = 1;
    for (unsigned i = 0; i < 8; i++) {
        int bit = (b >> (7 - i)) & 1;
        range_enc_bit(e, cm_mix_predict(c, &m, node, i), bit);
        cm_mix_update(&m, bit);
        node = (node << 1) | (unsigned)bit;
    }
    cm_after_extra(c, b);
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
    enc_bit(e, &c->zero[cm_zero_ctx(c, old0, np)], diff != 0);
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

static void enc_plan(struct range_enc *e, struct ota_delta_compact *c, const uint8_t *old, const uint8_t *nw,
                     const struct delta_plan *plan)
{
    size_t op = 0, np = 0;
    for (size_t k = 0; k < plan->count; k++) {
        const struct delta_cmd *cmd = &plan->cmds[k];
        enc_uint(e, &c->len_diff, cmd->diff_len);
        for (uint32_t i = 0; i < cmd->diff_len; i++, op++, np++) {
            enc_diff_byte(e, c, (uint8_t)(nw[np] - old[op]), old[op], (uint32_t)np);
        }
        enc_uint(e, &c->len_extra, cmd->extra_len);
        for (uint32_t i = 0; i < cmd->extra_len; i++, np++) {
            enc_extra(e, c, nw[np]);
        }
        enc_seek(e, c, cmd->seek, (int32_t)((int64_t)op + cmd->seek - (int64_t)np));
        op = (size_t)((int64_t)op + cmd->seek);
    }
}

int delta_write_compact(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                        const struct delta_plan *plan, struct delta_buf *out)
{
    uint8_t hdr[OTA_DELTA_COMPACT_HEADER_LEN] = {0};
    put_le32(hdr, OTA_DELTA_COMPACT_MAGIC);
    hdr[4] = OTA_DELTA_COMPACT_VERSION;
    put_le32(hdr + 8, (uint32_t)old_len);
    put_le32(hdr + 12, (uint32_t)new_len);
    if (old_len >= 32) {
        memcpy(hdr + 16, old + old_len - 32, 32);
    }
    ota_sha256_ctx sha;
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, nw, new_len);
    ota_sha256_finish(&sha, hdr + 48);
    put_le32(hdr + 80, 0); /* reserved */
    struct ota_delta_compact *c = calloc(1, sizeof(*c));
    if (!c || delta_buf_put(out, hdr, sizeof(hdr))) {
        free(c);
        return -1;
    }
    cm_init(c);
    struct range_enc e = RANGE_ENC_INIT(out);
    enc_plan(&e, c, old, nw, plan);
    range_enc_flush(&e);
    free(c);
    return e.err ? -1 : 0;
}
