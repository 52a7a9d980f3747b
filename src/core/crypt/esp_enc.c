/* esp_encrypted_img: the header and the image key (docs/encryption.md). */
#ifndef OTA_NO_DECRYPT
#include <string.h>

#include "../bytes.h"
#include "ota/decrypt.h"
#include "ota/error.h"

#define WRAP_OFF 4u
#define IV_OFF (WRAP_OFF + OTA_ESP_ENC_WRAP_LEN)
#define LEN_OFF (IV_OFF + OTA_ESP_ENC_IV_LEN)
#define TAG_OFF (LEN_OFF + 4u)
#define ECC_POINT_LEN 64u
#define ECC_SALT_LEN 32u

int ota_esp_enc_parse_header(const uint8_t hdr[OTA_ESP_ENC_HEADER_LEN], struct ota_esp_enc_header *h)
{
    if (get_le32(hdr) != OTA_ESP_ENC_MAGIC) {
        return OTA_ERR_DECRYPT_HEADER;
    }
    h->wrapped = hdr + WRAP_OFF;
    memcpy(h->iv, hdr + IV_OFF, sizeof(h->iv));
    h->length = get_le32(hdr + LEN_OFF);
    memcpy(h->tag, hdr + TAG_OFF, sizeof(h->tag));
    return h->length ? OTA_OK : OTA_ERR_DECRYPT_HEADER;  /* an empty image is no app */
}

int ota_esp_enc_image_key(const struct ota_crypto_key *key, const struct ota_esp_enc_header *h, uint8_t out[32])
{
    static const uint8_t info[] = "_esp_enc_img_ecc";
    uint8_t shared[32];
    int err;
    switch (ota_crypto_key_kind(key)) {
    case OTA_KEY_RSA3072:
        return ota_crypto_rsa3072_unwrap(key, OTA_RSA_PKCS1_V15, h->wrapped, out);
    case OTA_KEY_P256:
        if ((err = ota_crypto_ecdh_p256(key, h->wrapped, shared))) {
            return err;
        }
        err = ota_crypto_hkdf_sha256(h->wrapped + ECC_POINT_LEN, ECC_SALT_LEN, shared, sizeof(shared), info,
                                     sizeof(info) - 1, out, 32);
        memset(shared, 0, sizeof(shared));
        return err;
    default:
        return OTA_ERR_DECRYPT_NO_KEY;
    }
}
#else
typedef int ota_esp_enc_left_out;  /* an empty unit is not ISO C */
#endif
