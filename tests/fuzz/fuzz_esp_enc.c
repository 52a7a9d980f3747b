#include "fuzz_common.h"
#include "ota/decrypt.h"
#include "ota/host_decrypt.h"

/* An esp_encrypted_img header (512 bytes of input, zero-padded): parsed,
 * then its key opened with a P-256 device key (derived from a fixed HMAC
 * key): a hostile ephemeral point must be refused, never used; an RSA key
 * refuses any 384 bytes that do not unwrap to exactly 32. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t hmac[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    static struct ota_crypto_key *key;
    uint8_t hdr[OTA_ESP_ENC_HEADER_LEN] = {0};
    struct ota_esp_enc_header h;
    uint8_t out[32];
    if (!key && ota_host_decrypt_key_from_hmac(hmac, &key) != OTA_OK) {
        __builtin_trap();
    }
    memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
    int err = ota_esp_enc_parse_header(hdr, &h);
    if (err == OTA_OK) {
        if (h.length == 0 || h.wrapped != hdr + 4) {
            __builtin_trap();
        }
        err = ota_esp_enc_image_key(key, &h, out);
        if (err != OTA_OK && err != OTA_ERR_DECRYPT_KEY && err != OTA_ERR_DECRYPT_CRYPTO) {
            __builtin_trap();
        }
    } else if (err != OTA_ERR_DECRYPT_HEADER) {
        __builtin_trap();
    }
    return 0;
}
