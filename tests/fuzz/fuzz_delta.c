/* The patch applier on arbitrary input: [2 bytes: old length L, bit 15 a
 * resumed compact patch][L bytes old image][1 byte: bit 7 bounds on (and
 * the relocation map's scratch shared with the output, as on a device),
 * bit 6 a resumed patch's relocation flag, bits 5..0 chunk size - 1][patch];
 * resumed, the patch starts with a 48-byte
 * checkpoint (in_off, out_off, image_len, sync, image SHA-256, little-endian
 * as struct ota_delta_checkpoint, form compact) and goes on from its input
 * offset, the output before it zeros (up to 1 MiB), the scratch as the
 * last run left it. The scratch (64 KiB of emulated flash) is never
 * accessed outside itself nor programmed where not erased. It must never read or write outside
 * its buffers, never emit more than the size the patch declared or its
 * output bound, never take more patch bytes than its input bound, never read
 * back (compact patches' matches into the new image) a byte it has not
 * written, never report success with an incomplete image, nor with one whose
 * SHA-256 is not the one the header or checkpoint names. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "ota/delta.h"

struct fuzz_ctx {
    const uint8_t *old;
    uint32_t old_len;
    uint32_t emitted;
    ota_sha256_ctx sha;
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
    ota_sha256_update(&c->sha, data, len);
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

#define SCRATCH (64u * 1024u)
static uint8_t scratch[SCRATCH];

static int sc_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    if ((uint64_t)off + len > SCRATCH || off % 4096 || len % 4096) {
        __builtin_trap();
    }
    memset(scratch + off, 0xFF, len);
    return 0;
}

static int sc_program(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)ctx;
    for (uint32_t i = 0; i < len; i++) {
        if ((uint64_t)off + len > SCRATCH || scratch[off + i] != 0xFF) {
            __builtin_trap(); /* outside the region, or not erased first */
        }
        scratch[off + i] = ((const uint8_t *)buf)[i];
    }
    return 0;
}

static int sc_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx;
    if ((uint64_t)off + len > SCRATCH) {
        __builtin_trap();
    }
    memcpy(buf, scratch + off, len);
    return 0;
}

static const struct ota_delta_scratch_ops sc_ops = {sc_erase, sc_program, sc_read};

static struct ota_delta d;
static const uint8_t base[OTA_SHA256_LEN]; /* the running app a resumed compact patch is bound to */

/* A checkpoint from the input; the output before it: zeros (those kept),
 * hashed; the bounds count the checkpoint's input offset as taken. */
static int resume_from(const uint8_t **in, size_t *len, struct fuzz_ctx *c, bool reloc)
{
    struct ota_delta_checkpoint cp;
    if (!fuzz_take_checkpoint(in, len, OTA_DELTA_COMPACT | (reloc ? OTA_DELTA_FLAG_RELOC << 8 : 0), &cp)) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    uint32_t prefix = cp.out_off < KEEP ? cp.out_off : KEEP;
    memset(kept, 0, prefix);
    ota_sha256_update(&c->sha, kept, prefix);
    c->emitted = cp.out_off; /* "out" before the cut; past KEEP they do not read back */
    int err = ota_delta_resume(&d, &cp);
    if (err) {
        c->emitted = 0; /* a checkpoint refused: no output of this decoder's */
    }
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    bool resumed = (data[1] & 0x80u) != 0;
    uint32_t old_len = (uint32_t)(data[0] | ((data[1] & 0x7f) << 8));
    if (old_len > size - 3) {
        old_len = (uint32_t)(size - 3);
    }
    struct fuzz_ctx c = {data + 2, old_len, 0, {0}};
    ota_sha256_init(&c.sha);
    size_t chunk = (size_t)(data[2 + old_len] & 0x3fu) + 1u;
    bool bounded = (data[2 + old_len] & 0x80u) != 0, reloc = (data[2 + old_len] & 0x40u) != 0;
    const uint8_t *patch = data + 3 + old_len;
    size_t len = size - 3 - old_len;
    uint32_t out_max = old_len + 1u, in_max = (uint32_t)len / 2u + 1u;
    int err = ota_delta_begin(&d, old_len, resumed ? base : NULL, fz_read, fz_out, &c);
    ota_delta_set_history(&d, fz_read_new);
    if (!err) {
        err = ota_delta_set_scratch(&d, &sc_ops, NULL, SCRATCH, bounded);
    }
    if (!err && bounded) {
        err = ota_delta_set_bounds(&d, out_max, in_max);
    }
    if (!err && resumed) {
        err = resume_from(&patch, &len, &c, reloc);
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
    if (!err && h->has_new) {
        uint8_t digest[OTA_SHA256_LEN];
        ota_sha256_finish(&c.sha, digest);
        if (memcmp(digest, h->new_sha256, OTA_SHA256_LEN) != 0) {
            __builtin_trap(); /* success with an image other than the one named */
        }
    }
    if (bounded && (c.emitted > out_max || (!err && len > in_max))) {
        __builtin_trap();
    }
    return 0;
}
