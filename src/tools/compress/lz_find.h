/*
 * The match finder both makers parse with (compressed images, and the
 * extra runs of compact patches): hash chains over every position of the
 * image so far (any distance), the recent distances tried first, choices
 * scored by the bits they are estimated to save over literals.
 */
#ifndef OTA_TOOLS_LZ_FIND_H
#define OTA_TOOLS_LZ_FIND_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "ota/compress.h"

#define LZ_LITB 8 /* bits a literal costs, as the parser estimates it */
#define LZ_HASH_BITS 20u
#define LZ_MAX_LEN 65535u
#define LZ_CHAIN_DEPTH 512u
#define LZ_NICE_LEN 512u
#define LZ_LAZY_MARGIN 0 /* bits the next position must gain for a literal now */
#define LZ_MIN_MATCH 2u

struct lz_finder {
    const uint8_t *in;
    uint32_t len;
    int32_t *head, *prev;
    /* Where equal bytes of in are not all a match the decoder can copy
     * (compressed images of Xtensa code: docs/compress-format.md), the
     * part of n equal bytes from src to dst it copies as they are. */
    uint32_t (*copyable)(const void *ctx, uint32_t dst, uint32_t src, uint32_t n);
    const void *copy_ctx;
};

struct lz_choice {
    uint32_t len, dist;
    unsigned rep_i; /* OTA_CZ_REPS: a new distance */
    int score;      /* bits saved over literals; <= 0: take a literal */
};

static inline uint32_t lz_hash4(const uint8_t *p)
{
    return (get_le32(p) * 2654435761u) >> (32u - LZ_HASH_BITS);
}

/* 0, or -1 when memory runs out (lz_finder_free either way). */
static inline int lz_finder_init(struct lz_finder *f, const uint8_t *in, size_t len)
{
    f->in = in;
    f->len = (uint32_t)len;
    f->copyable = NULL;
    f->copy_ctx = NULL;
    f->head = malloc(sizeof(int32_t) << LZ_HASH_BITS);
    f->prev = malloc(sizeof(int32_t) * (len + 1));
    if (!f->head || !f->prev) {
        return -1;
    }
    memset(f->head, 0xff, sizeof(int32_t) << LZ_HASH_BITS);
    return 0;
}

static inline void lz_finder_free(struct lz_finder *f)
{
    free(f->head);
    free(f->prev);
}

/* The length of the match from b to a, at most limit; a length of at
 * most floor (one the caller has already) is returned as the bytes' equal
 * run, unchecked by copyable: the caller drops it anyway. */
static inline uint32_t lz_common_above(const struct lz_finder *f, uint32_t a, uint32_t b, uint32_t limit,
                                       uint32_t floor)
{
    uint32_t max = limit < LZ_MAX_LEN ? limit : LZ_MAX_LEN, n = 0;
    while (n < max && f->in[a + n] == f->in[b + n]) {
        n++;
    }
    return f->copyable && n > floor ? f->copyable(f->copy_ctx, a, b, n) : n;
}

static inline uint32_t lz_common(const struct lz_finder *f, uint32_t a, uint32_t b, uint32_t limit)
{
    return lz_common_above(f, a, b, limit, 0);
}

static inline int lz_log2(uint32_t v)
{
    int n = 0;
    while (v >>= 1) {
        n++;
    }
    return n;
}

static inline int lz_score_rep(uint32_t len, unsigned i)
{
    return (int)len * LZ_LITB - 5 - (int)i - 2 * lz_log2(len);
}

static inline int lz_score_new(uint32_t len, uint32_t dist)
{
    return (int)len * LZ_LITB - 8 - 2 * lz_log2(len) - lz_log2(dist) - 3;
}

/* The best choice at position i, its length at most limit (> 0). */
static inline struct lz_choice lz_best_at(const struct lz_finder *f, uint32_t i, const uint32_t *rep, uint32_t limit)
{
    struct lz_choice best = {0, 0, OTA_CZ_REPS, 0};
    for (unsigned r = 0; r < OTA_CZ_REPS; r++) {
        if (rep[r] <= i) {
            uint32_t n = lz_common(f, i, i - rep[r], limit);
            if (n && lz_score_rep(n, r) > best.score) {
                best = (struct lz_choice){n, rep[r], r, lz_score_rep(n, r)};
            }
        }
    }
    if (f->len - i < 4) {
        return best;
    }
    int32_t cand = f->head[lz_hash4(f->in + i)];
    for (unsigned depth = 0; cand >= 0 && depth < LZ_CHAIN_DEPTH; depth++, cand = f->prev[cand]) {
        uint32_t n = lz_common(f, i, (uint32_t)cand, limit);
        if (n >= LZ_MIN_MATCH && lz_score_new(n, i - (uint32_t)cand) > best.score) {
            best = (struct lz_choice){n, i - (uint32_t)cand, OTA_CZ_REPS, lz_score_new(n, i - (uint32_t)cand)};
            if (n >= LZ_NICE_LEN) {
                break;
            }
        }
    }
    return best;
}

static inline void lz_insert(struct lz_finder *f, uint32_t i)
{
    if (f->len - i >= 4) {
        uint32_t h = lz_hash4(f->in + i);
        f->prev[i] = f->head[h];
        f->head[h] = (int32_t)i;
    }
}

#endif
