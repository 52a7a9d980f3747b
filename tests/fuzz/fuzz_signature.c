#include "fuzz_common.h"
#include "ota/image.h"
#include "ota/signature.h"

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
    struct mem_src s = {data + 2, size - 2};
    ota_sig_verify(mem_read, &s, image_len, NULL, &res);
    /* and with one chip's rules (ESP32: block 0 only, RSA only), picked by a bit of the length */
    ota_sig_verify_chip(mem_read, &s, image_len, (data[1] & 0x20) ? OTA_CHIP_ESP32 : 0x000C, NULL, &res);
    return 0;
}
