#include "fuzz_common.h"
#include "ota/image.h"

/* The streaming verifier, fed in chunks whose sizes come from the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ota_image_verifier v;
    struct ota_image_info info;
    if (size < 4) {
        return 0;
    }
    struct ota_image_opts o = ota_image_opts_app();
    o.is_app = data[0] & 1;
    o.check_mapping = data[0] & 2;
    o.chip_id = (data[0] & 4) ? OTA_CHIP_ANY : (uint16_t)(data[1] & 0x0F);
    o.flash_offset = (uint32_t)data[2] << 12;
    o.max_len = (data[0] & 8) ? (uint32_t)size / 2 : 0;
    unsigned chunk = 1u + data[3];
    data += 4;
    size -= 4;
    ota_image_verify_init(&v, &o);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (ota_image_verify_feed(&v, data + off, n)) {
            break;
        }
        ota_image_desc_ready(&v);
    }
    ota_image_verify_finish(&v, &info);
    if (info.segments_seen > OTA_IMAGE_MAX_SEGMENTS) {
        __builtin_trap();
    }
    return 0;
}
