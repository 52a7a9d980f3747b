/*
 * Patch planning in the manner of bsdiff (Colin Percival's approximate
 * matching): walk the new image; at each point find the longest exact match
 * anywhere in the old image through its suffix array; accept a new match
 * only when it beats continuing the current alignment by more than a few
 * bytes; between two accepted matches, extend the previous one forward and
 * the next one backward while at least half of the bytes agree (those
 * become diff bytes: mostly zeros, cheap to compress), and what neither
 * covers becomes extra bytes.
 */
#include <divsufsort.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "delta_make.h"

#define PLAN_REPS 4
#define PLAN_REP_BONUS 0
#define PLAN_SLACK 1 /* bytes a new alignment must win by, beside its seek (2: 0.5 % larger compact patches) */
#define PLAN_EXT_W 3
#define PLAN_SLACK_REP 2
#define PLAN_SLACK_DIV 2

struct matcher {
    const uint8_t *old;
    size_t old_len;
    const saidx_t *sa;
};

static size_t common_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn, i = 0;
    while (i < n && a[i] == b[i]) {
        i++;
    }
    return i;
}

/* Longest match of s[0..n) in old: binary search over the sorted suffixes
 * for where s would sit; the best match is one of its two neighbours. */
static size_t longest_match(const struct matcher *m, const uint8_t *s, size_t n, size_t *pos)
{
    size_t lo = 0, hi = m->old_len - 1;
    while (hi - lo >= 2) {
        size_t mid = lo + (hi - lo) / 2;
        size_t at = (size_t)m->sa[mid], tail = m->old_len - at;
        size_t k = common_prefix(m->old + at, tail, s, n);
        if (k < tail && k < n && m->old[at + k] < s[k]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    size_t a = (size_t)m->sa[lo], b = (size_t)m->sa[hi];
    size_t ka = common_prefix(m->old + a, m->old_len - a, s, n);
    size_t kb = common_prefix(m->old + b, m->old_len - b, s, n);
    *pos = ka >= kb ? a : b;
    return ka >= kb ? ka : kb;
}

static int plan_push(struct delta_plan *p, uint32_t diff, uint32_t extra, int64_t seek)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        struct delta_cmd *c = realloc(p->cmds, cap * sizeof(*c));
        if (!c) {
            return -1;
        }
        p->cmds = c;
        p->cap = cap;
    }
    p->cmds[p->count++] = (struct delta_cmd){diff, extra, seek};
    return 0;
}

struct walk {
    const uint8_t *old, *nw;
    size_t old_len, new_len;
    size_t last_scan, last_pos;
    ptrdiff_t last_offset;
    size_t slack; /* a new match must beat the current alignment by more than this */
    ptrdiff_t rep[PLAN_REPS]; /* recent alignments, latest first: a seek back to one is cheap */
};

/* Prefer a recent alignment when its match is about as long as the longest
 * (a seek to it costs a few bits, a new one two or three bytes). */
static size_t prefer_rep(const struct walk *w, size_t scan, size_t len, size_t *pos)
{
    for (size_t i = 0; i < PLAN_REPS; i++) {
        ptrdiff_t o = (ptrdiff_t)scan + w->rep[i];
        if (o < 0 || (size_t)o >= w->old_len) {
            continue;
        }
        size_t k = common_prefix(w->old + o, w->old_len - (size_t)o, w->nw + scan, w->new_len - scan);
        if (k + PLAN_REP_BONUS >= len && k > 0) {
            *pos = (size_t)o;
            return k;
        }
    }
    return len;
}

/* A new alignment must pay for its seek: a recent one costs a few bits, a
 * far one two or three bytes. */
static size_t seek_slack(const struct walk *w, size_t scan, size_t pos)
{
    ptrdiff_t a = (ptrdiff_t)pos - (ptrdiff_t)scan, dist = a - w->last_offset;
    for (size_t i = 0; i < PLAN_REPS; i++) {
        if (w->rep[i] == a) {
            return PLAN_SLACK_REP;
        }
    }
    size_t bits = 0;
    for (size_t m = (size_t)(dist < 0 ? -dist : dist); m; m >>= 1) {
        bits++;
    }
    return w->slack + bits / PLAN_SLACK_DIV;
}

static void rep_use(struct walk *w, ptrdiff_t a)
{
    size_t i = 0;
    while (i < PLAN_REPS - 1 && w->rep[i] != a) {
        i++;
    }
    for (; i > 0; i--) {
        w->rep[i] = w->rep[i - 1];
    }
    w->rep[0] = a;
}

/* How far the previous alignment reaches forward, at least half agreeing. */
static size_t extend_forward(const struct walk *w, size_t scan)
{
    size_t len = 0;
    long score = 0, best = 0;
    for (size_t i = 0; w->last_scan + i < scan && w->last_pos + i < w->old_len;) {
        if (w->old[w->last_pos + i] == w->nw[w->last_scan + i]) {
            score++;
        }
        i++;
        if (score * PLAN_EXT_W - (long)i > best * PLAN_EXT_W - (long)len) {
            best = score;
            len = i;
        }
    }
    return len;
}

/* How far the next match reaches backward, at least half agreeing. */
static size_t extend_backward(const struct walk *w, size_t scan, size_t pos)
{
    size_t len = 0;
    long score = 0, best = 0;
    if (scan >= w->new_len) {
        return 0;
    }
    for (size_t i = 1; scan >= w->last_scan + i && pos >= i; i++) {
        if (w->old[pos - i] == w->nw[scan - i]) {
            score++;
        }
        if (score * PLAN_EXT_W - (long)i > best * PLAN_EXT_W - (long)len) {
            best = score;
            len = i;
        }
    }
    return len;
}

/* Both extensions overlap: split the overlap where the forward one scores best. */
static void split_overlap(const struct walk *w, size_t scan, size_t pos, size_t *lenf, size_t *lenb)
{
    if (w->last_scan + *lenf <= scan - *lenb) {
        return;
    }
    size_t overlap = (w->last_scan + *lenf) - (scan - *lenb), split = 0;
    long score = 0, best = 0;
    for (size_t i = 0; i < overlap; i++) {
        if (w->nw[w->last_scan + *lenf - overlap + i] == w->old[w->last_pos + *lenf - overlap + i]) {
            score++;
        }
        if (w->nw[scan - *lenb + i] == w->old[pos - *lenb + i]) {
            score--;
        }
        if (score > best) {
            best = score;
            split = i + 1;
        }
    }
    *lenf += split - overlap;
    *lenb -= split;
}

static int emit_step(struct walk *w, struct delta_plan *plan, size_t scan, size_t pos)
{
    size_t lenf = extend_forward(w, scan);
    size_t lenb = extend_backward(w, scan, pos);
    split_overlap(w, scan, pos, &lenf, &lenb);
    size_t extra = (scan - lenb) - (w->last_scan + lenf);
    int64_t seek = (int64_t)(pos - lenb) - (int64_t)(w->last_pos + lenf);
    if (plan_push(plan, (uint32_t)lenf, (uint32_t)extra, seek)) {
        return -1;
    }
    w->last_scan = scan - lenb;
    w->last_pos = pos - lenb;
    w->last_offset = (ptrdiff_t)pos - (ptrdiff_t)scan;
    rep_use(w, w->last_offset);
    return 0;
}

static int walk_new(struct walk *w, const struct matcher *m, struct delta_plan *plan)
{
    size_t scan = 0, len = 0, pos = 0;
    while (scan < w->new_len) {
        size_t old_score = 0, scsc;
        for (scsc = scan += len; scan < w->new_len; scan++) {
            len = longest_match(m, w->nw + scan, w->new_len - scan, &pos);
            len = prefer_rep(w, scan, len, &pos);
            for (; scsc < scan + len; scsc++) {
                ptrdiff_t o = (ptrdiff_t)scsc + w->last_offset;
                if (o >= 0 && (size_t)o < w->old_len && w->old[o] == w->nw[scsc]) {
                    old_score++;
                }
            }
            if ((len == old_score && len != 0) || len > old_score + seek_slack(w, scan, pos)) {
                break;
            }
            ptrdiff_t o = (ptrdiff_t)scan + w->last_offset;
            if (o >= 0 && (size_t)o < w->old_len && w->old[o] == w->nw[scan]) {
                old_score--;
            }
        }
        if (len != old_score || scan == w->new_len) {
            if (emit_step(w, plan, scan, pos)) {
                return -1;
            }
        }
    }
    return 0;
}

int delta_plan_make(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len, struct delta_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (old_len == 0) {
        return plan_push(plan, 0, (uint32_t)new_len, 0); /* nothing to match: all extra */
    }
    saidx_t *sa = malloc((old_len + 1) * sizeof(*sa));
    if (!sa || divsufsort(old, sa, (saidx_t)old_len) != 0) {
        free(sa);
        return -1;
    }
    struct matcher m = {old, old_len, sa};
    struct walk w = {old, nw, old_len, new_len, 0, 0, 0, PLAN_SLACK, {0}};
    int rc = walk_new(&w, &m, plan);
    free(sa);
    return rc;
}

void delta_plan_free(struct delta_plan *plan)
{
    free(plan->cmds);
    memset(plan, 0, sizeof(*plan));
}
