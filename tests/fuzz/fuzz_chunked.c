#include "fuzz_common.h"
#include "ota/decrypt.h"
#include "ota/host_decrypt.h"

/* Our chunked format's header (512 bytes of input, zero-padded): parsed, its
 * sizes computed without overflow, then opened with a P-256 device key: a
 * hostile point, salt or tag must be refused, never trusted. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t hmac[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
    static struct ota_crypto_key *key;
    uint8_t hdr[OTA_CHUNKED_HEADER_LEN] = {0};
    struct ota_chunked_header h;
    uint8_t image_key[32];
    if (!key && ota_host_decrypt_key_from_hmac(hmac, &key) != OTA_OK) {
        __builtin_trap();
    }
    memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
    int err = ota_chunked_parse_header(hdr, &h);
    if (err != OTA_OK) {
        if (err != OTA_ERR_DECRYPT_HEADER) {
            __builtin_trap();
        }
        return 0;
    }
    uint32_t n = ota_chunked_count(&h);
    if (h.chunk_len < 512 || h.chunk_len > OTA_CHUNKED_CHUNK_MAX || n == 0 || (uint64_t)n * h.chunk_len < h.length ||
        ota_chunked_file_len(&h) <= h.length) {
        __builtin_trap();
    }
    err = ota_chunked_open(key, hdr, &h, image_key);
    if (err != OTA_ERR_DECRYPT_SCHEME && err != OTA_ERR_DECRYPT_KEY && err != OTA_ERR_DECRYPT_CRYPTO) {
        __builtin_trap();  /* a header no key made cannot authenticate */
    }
    return 0;
}
