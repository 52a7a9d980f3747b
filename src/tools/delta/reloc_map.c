/*
 * The relocation map of a compact patch (docs/delta-format.md,
 * "Relocations"): where the plan moved each part of the old image, as
 * pieces of old load addresses that share one address shift. Each old
 * offset takes the shift of the longest diff run over it (bytes that no
 * run covers, the shift before them); through both images' segment tables
 * that is an old address -> new address map.
 */
#include <stdlib.h>
#include <string.h>

#include "delta/compact_reloc.h"
#include "delta_make.h"

struct mem_image {
    const uint8_t *p;
    size_t len;
};

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct mem_image *m = ctx;
    if ((size_t)off + len > m->len) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, m->p + off, len);
    return 0;
}

int delta_image_segs(const uint8_t *img, size_t len, struct ota_delta_seg *segs, uint8_t *n)
{
    struct mem_image m = {img, len};
    return len > UINT32_MAX ? -1 : rl_parse_segs(mem_read, &m, (uint32_t)len, segs, n);
}

struct run {
    size_t np, op, len;
};

static int by_len(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Per old offset: new offset - old offset (NULL when memory runs out). */
static int64_t *offset_shifts(size_t old_len, const struct delta_plan *plan)
{
    struct run *runs = malloc((plan->count + 1) * sizeof(*runs));
    int64_t *shift = malloc((old_len + 1) * sizeof(*shift));
    uint8_t *set = calloc(old_len + 1, 1);
    size_t nr = 0;
    int64_t op = 0, np = 0;
    for (size_t k = 0; runs && k < plan->count; k++) {
        const struct delta_cmd *c = &plan->cmds[k];
        if (c->diff_len && op >= 0 && (uint64_t)op + c->diff_len <= old_len) {
            runs[nr++] = (struct run){(size_t)np, (size_t)op, c->diff_len};
        }
        np += (int64_t)c->diff_len + c->extra_len;
        op += (int64_t)c->diff_len + c->seek;
    }
    if (!runs || !shift || !set) {
        free(runs), free(shift), free(set);
        return NULL;
    }
    qsort(runs, nr, sizeof(*runs), by_len); /* the longest run over an offset painted last */
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < runs[i].len; j++) {
            shift[runs[i].op + j] = (int64_t)runs[i].np - (int64_t)runs[i].op;
            set[runs[i].op + j] = 1;
        }
    }
    int64_t last = 0;
    for (size_t i = 0; i < old_len; i++) {
        if (set[i]) {
            last = shift[i];
            break;
        }
    }
    for (size_t i = 0; i < old_len; i++) {
        last = shift[i] = set[i] ? shift[i] : last;
    }
    free(runs), free(set);
    return shift;
}

static bool new_addr(const struct ota_delta_seg *segs, uint8_t n, int64_t off, uint32_t *addr)
{
    for (unsigned i = 0; i < n; i++) {
        if (off >= segs[i].off && off - segs[i].off < segs[i].len) {
            *addr = segs[i].addr + (uint32_t)(off - segs[i].off);
            return true;
        }
    }
    return false;
}

static int by_start(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The pieces of one old segment appended to map (room for them is there). */
static void seg_pieces(const struct ota_delta_seg *s, const int64_t *shift, const struct ota_delta_seg *nsegs,
                       uint8_t nn, uint32_t (*map)[3], size_t *n)
{
    bool open = false;
    for (uint32_t i = 0; i < s->len; i++) {
        uint32_t a = s->addr + i, to;
        if (!new_addr(nsegs, nn, (int64_t)s->off + i + shift[s->off + i], &to) || a == UINT32_MAX) {
            open = false;
            continue;
        }
        uint32_t sh = to - a;
        if (open && map[*n - 1][2] == sh && map[*n - 1][0] + map[*n - 1][1] == a) {
            map[*n - 1][1]++;
            continue;
        }
        map[*n][0] = a, map[*n][1] = 1, map[*n][2] = sh;
        (*n)++;
        open = true;
    }
}

int delta_reloc_map(const uint8_t *old, size_t old_len, const uint8_t *nw, size_t new_len,
                    const struct delta_plan *plan, uint32_t (**pieces)[3], size_t *count)
{
    struct ota_delta_seg os[OTA_DELTA_RELOC_SEGS], ns[OTA_DELTA_RELOC_SEGS];
    uint8_t on = 0, nn = 0;
    if (delta_image_segs(old, old_len, os, &on) || delta_image_segs(nw, new_len, ns, &nn)) {
        return -1;
    }
    int64_t *shift = offset_shifts(old_len, plan);
    uint32_t(*map)[3] = malloc((old_len + 1) * sizeof(*map));
    if (!shift || !map) {
        free(shift), free(map);
        return -1;
    }
    size_t n = 0, kept = 0;
    for (unsigned i = 0; i < on; i++) {
        seg_pieces(&os[i], shift, ns, nn, map, &n);
    }
    free(shift);
    qsort(map, n, sizeof(*map), by_start);
    for (size_t i = 0; i < n; i++) { /* segments overlapping in address: the first piece wins */
        if (kept == 0 || map[i][0] >= map[kept - 1][0] + map[kept - 1][1]) {
            memmove(map[kept++], map[i], sizeof(*map));
        }
    }
    *pieces = map;
    *count = kept;
    return 0;
}
