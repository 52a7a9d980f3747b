/* The compressed-image decoder on arbitrary input: [1 byte chunk size]
 * [compressed image], or with the size byte's top bit set, a resumed
 * decoder: [1 byte] [48-byte checkpoint, little-endian as struct
 * ota_delta_checkpoint without its form] [the body from the checkpoint's input offset], the
 * output before the checkpoint being zeros (the size byte's bit 6 clear) or
 * an app image's header and code (set: the checkpoint of an image with
 * OTA_CZ_FLAG_XTENSA). Its history reads must stay inside what it has
 * output, it must never emit more than the length the header declares, and
 * it must never report success for an image whose SHA-256 differs from the
 * header's (a mutated body either fails with a named error or decodes to
 * the very image the header names). */
#include <string.h>

#include "fuzz_common.h"
#include "ota/delta.h"

#define OUT_MAX (1u << 16)

struct fuzz_ctx {
    uint8_t *out;
    uint32_t emitted;
    ota_sha256_ctx sha;
};

static uint8_t out_buf[OUT_MAX];
static struct ota_delta d;

static int fz_no_old(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx, (void)off, (void)buf, (void)len;
    __builtin_trap(); /* a compressed image has no old image */
}

static int fz_read_new(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct fuzz_ctx *c = ctx;
    if ((uint64_t)off + len > c->emitted) {
        __builtin_trap(); /* reads only what went out */
    }
    memcpy(buf, c->out + off, len);
    return 0;
}

static int fz_out(void *ctx, const uint8_t *data, uint32_t len)
{
    struct fuzz_ctx *c = ctx;
    if (c->emitted + (uint64_t)len > OUT_MAX) {
        return OTA_ERR_NO_MEM; /* a huge declared length: stop, as a full slot would */
    }
    memcpy(c->out + c->emitted, data, len);
    ota_sha256_update(&c->sha, data, len);
    c->emitted += len;
    return 0;
}

/* A checkpoint from the input; the output before it: zeros, hashed, or
 * for an image with OTA_CZ_FLAG_XTENSA (xtensa) an app image's header with
 * one code segment from offset 32 on, so that the decoder's sweep finds
 * code after the checkpoint. */
static int resume_from(const uint8_t **in, size_t *len, struct fuzz_ctx *c, bool xtensa)
{
    struct ota_delta_checkpoint cp;
    if (!fuzz_take_checkpoint(in, len, OTA_DELTA_COMPRESSED | (xtensa ? OTA_DELTA_FLAG_RELOC << 8 : 0u), &cp)) {
        return OTA_ERR_DELTA_TRUNCATED;
    }
    uint32_t prefix = cp.out_off < OUT_MAX ? cp.out_off : OUT_MAX;
    memset(c->out, 0, prefix);
    static const uint8_t app[32] = {0xE9, 1, [24] = 0x20, 0x00, 0x0D, 0x40, 0xFF, 0xFF, 0xFF, 0x7F};
    if (xtensa) {
        memcpy(c->out, app, prefix < sizeof(app) ? prefix : sizeof(app));
    }
    ota_sha256_update(&c->sha, c->out, prefix);
    c->emitted = prefix;
    int err = ota_delta_resume(&d, &cp);
    if (!err && cp.out_off != prefix) {
        __builtin_trap(); /* resumed past the output it could read back */
    }
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    struct fuzz_ctx c = {out_buf, 0, {0}};
    ota_sha256_init(&c.sha);
    size_t chunk = (size_t)(data[0] & 0x7f) + 1u, len = size - 1;
    const uint8_t *in = data + 1;
    int err = ota_delta_begin(&d, 0, NULL, fz_no_old, fz_out, &c);
    ota_delta_set_history(&d, fz_read_new);
    ota_delta_set_bounds(&d, OUT_MAX, UINT32_MAX);
    if (!err && (data[0] & 0x80)) {
        err = resume_from(&in, &len, &c, (data[0] & 0x40) != 0);
    }
    for (size_t off = 0; !err && off < len; off += chunk) {
        err = ota_delta_write(&d, in + off, len - off < chunk ? len - off : chunk);
    }
    if (!err) {
        err = ota_delta_finish(&d);
    }
    const struct ota_delta_header *h = ota_delta_header_of(&d);
    if (h && c.emitted > h->new_size) {
        __builtin_trap();
    }
    if (!err && h && h->form == OTA_DELTA_COMPRESSED) {
        uint8_t digest[OTA_SHA256_LEN];
        ota_sha256_finish(&c.sha, digest);
        if (c.emitted != h->new_size || memcmp(digest, h->new_sha256, OTA_SHA256_LEN) != 0) {
            __builtin_trap(); /* success with an image other than the one named */
        }
    }
    return 0;
}
