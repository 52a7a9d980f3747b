/* The compressor (src/tools/compress: cz_encode.c, xt_code.c, the Xtensa
 * code transform) on arbitrary input: [1 byte: sync interval 4096 << (bits
 * 0-1), bit 7 the code transform left out] [the image]. Whatever the image
 * (its header, segment table, code bytes), the device's decoder must give
 * it back byte for byte: a stream it cannot decode, or decodes to other
 * bytes, traps. */
#include <stdlib.h>
#include <string.h>

#include "cz_make.h"
#include "fuzz_common.h"
#include "ota/delta.h"

#define IMG_MAX (1u << 16)

struct sink {
    uint8_t out[IMG_MAX];
    uint32_t len;
};

static struct sink sink;
static struct ota_delta d;

static int fz_no_old(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx, (void)off, (void)buf, (void)len;
    __builtin_trap(); /* a compressed image has no old image */
}

static int fz_read_new(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct sink *s = ctx;
    if ((uint64_t)off + len > s->len) {
        __builtin_trap(); /* reads only what went out */
    }
    memcpy(buf, s->out + off, len);
    return 0;
}

static int fz_out(void *ctx, const uint8_t *data, uint32_t len)
{
    struct sink *s = ctx;
    if (s->len + (uint64_t)len > IMG_MAX) {
        __builtin_trap(); /* more than the image the compressor was given */
    }
    memcpy(s->out + s->len, data, len);
    s->len += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > IMG_MAX) {
        return 0;
    }
    const uint8_t *img = data + 1;
    size_t len = size - 1;
    struct delta_buf z = {0};
    if (cz_compress_code(img, len, 4096u << (data[0] & 3u), !(data[0] & 0x80), &z)) {
        free(z.data);
        return 0; /* out of memory only */
    }
    sink.len = 0;
    int err = ota_delta_begin(&d, 0, NULL, fz_no_old, fz_out, &sink);
    ota_delta_set_history(&d, fz_read_new);
    err = err ? err : ota_delta_write(&d, z.data, z.len);
    err = err ? err : ota_delta_finish(&d);
    if (err || sink.len != len || memcmp(sink.out, img, len) != 0) {
        __builtin_trap(); /* the compressor made what the decoder does not turn back into the image */
    }
    free(z.data);
    return 0;
}
