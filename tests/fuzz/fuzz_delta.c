/* The patch applier on arbitrary input: [2 bytes old length L][L bytes old
 * image][1 byte: bit 7 bounds on, bits 6..0 chunk size - 1][patch]. It must
 * never read or write outside its buffers, never emit more than the size
 * the patch declared or its output bound, never take more patch bytes than
 * its input bound, never read back (compact patches' matches into the new
 * image) a byte it has not written, and never report success with an
 * incomplete image. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "ota/delta.h"

struct fuzz_ctx {
    const uint8_t *old;
    uint32_t old_len;
    uint32_t emitted;
};

static int fz_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct fuzz_ctx *c = ctx;
    if ((uint64_t)off + len > c->old_len) {
        __builtin_trap(); /* the applier bounds reads by old_size itself */
    }
    memcpy(buf, c->old + off, len);
    return 0;
}

#define KEEP (1u << 20) /* output kept for reading back; later bytes read back fail */
static uint8_t kept[KEEP];

static int fz_out(void *ctx, const uint8_t *data, uint32_t len)
{
    struct fuzz_ctx *c = ctx;
    for (uint32_t i = 0; i < len && c->emitted + i < KEEP; i++) {
        kept[c->emitted + i] = data[i];
    }
    c->emitted += len;
    return 0;
}

static int fz_read_new(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct fuzz_ctx *c = ctx;
    if ((uint64_t)off + len > c->emitted) {
        __builtin_trap(); /* only what went out may be read back */
    }
    if ((uint64_t)off + len > KEEP) {
        return -1;
    }
    memcpy(buf, kept + off, len);
    return 0;
}

static struct ota_delta d;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    uint32_t old_len = (uint32_t)(data[0] | (data[1] << 8));
    if (old_len > size - 3) {
        old_len = (uint32_t)(size - 3);
    }
    struct fuzz_ctx c = {data + 2, old_len, 0};
    size_t chunk = (size_t)(data[2 + old_len] & 0x7fu) + 1u;
    bool bounded = (data[2 + old_len] & 0x80u) != 0;
    const uint8_t *patch = data + 3 + old_len;
    size_t len = size - 3 - old_len;
    uint32_t out_max = old_len + 1u, in_max = (uint32_t)len / 2u + 1u;
    int err = ota_delta_begin(&d, old_len, NULL, fz_read, fz_out, &c);
    ota_delta_set_history(&d, fz_read_new);
    if (!err && bounded) {
        err = ota_delta_set_bounds(&d, out_max, in_max);
    }
    for (size_t off = 0; !err && off < len; off += chunk) {
        err = ota_delta_write(&d, patch + off, len - off < chunk ? len - off : chunk);
    }
    if (!err) {
        err = ota_delta_finish(&d);
    }
    const struct ota_delta_header *h = ota_delta_header_of(&d);
    if (h && c.emitted > h->new_size) {
        __builtin_trap();
    }
    if (!err && (!h || c.emitted != h->new_size)) {
        __builtin_trap();
    }
    if (bounded && (c.emitted > out_max || (!err && len > in_max))) {
        __builtin_trap();
    }
    return 0;
}
