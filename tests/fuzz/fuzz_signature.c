#include "fuzz_common.h"
#include "ota/signature.h"

struct src {
    const uint8_t *data;
    size_t len;
};

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct src *s = ctx;
    if (off > s->len || len > s->len - off) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, s->data + off, len);
    return OTA_OK;
}

/* A signature sector after a short "image": the input's first 2 bytes say
 * how long the image is, the rest is image + sector. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_sig_block b;
    struct ota_sig_result res;
    if (size >= OTA_SIG_BLOCK_LEN) {
        ota_sig_block_decode(data, &b);
    }
    if (size < 2) {
        return 0;
    }
    uint32_t image_len = ((uint32_t)data[0] | ((uint32_t)data[1] << 8)) & 0x1FFF;
    struct src s = {data + 2, size - 2};
    ota_sig_verify(mem_read, &s, image_len, NULL, &res);
    return 0;
}
