#include "fuzz_common.h"
#include "ota/tone.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src s = {data, size};
    struct ota_tone_info info;
    int err = ota_tone_verify(mem_read, &s, (uint32_t)size, &info);
    if (!err) {
        for (unsigned i = 0; i < info.count; i++) {
            struct ota_tone_file f;
            if (ota_tone_file_at(mem_read, &s, &info, i, &f) || (uint64_t)f.offset + f.length > size) {
                __builtin_trap();  /* verify promised every file is inside the image */
            }
        }
    }
    return 0;
}
