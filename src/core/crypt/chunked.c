/* Our chunked encrypted format: the header, the image key, the chunks'
 * nonces and additional data (docs/encryption.md). */
#ifndef OTA_NO_DECRYPT
#include <string.h>

#include "../bytes.h"
#include "ota/decrypt.h"
#include "ota/error.h"

#define OFF_VERSION 4u
#define OFF_WRAP 5u
#define OFF_CHUNK 6u
#define OFF_LEN 8u
#define OFF_SHA 12u
#define OFF_PREFIX 44u
#define OFF_WRAPPED 52u
#define OFF_RESERVED 436u
#define OFF_TAG 496u

static const uint8_t ecies_info[] = "ota chunked v1 ecies p256";

int ota_chunked_parse_header(const uint8_t hdr[OTA_CHUNKED_HEADER_LEN], struct ota_chunked_header *h)
{
    uint8_t reserved = hdr[7];
    for (unsigned i = OFF_RESERVED; i < OFF_TAG; i++) {
        reserved |= hdr[i];
    }
    h->version = hdr[OFF_VERSION];
    h->wrap = hdr[OFF_WRAP];
    h->chunk_len = hdr[OFF_CHUNK] >= 9 && hdr[OFF_CHUNK] <= 12 ? 1u << hdr[OFF_CHUNK] : 0;
    h->length = get_le32(hdr + OFF_LEN);
    h->sha256 = hdr + OFF_SHA;
    h->nonce_prefix = hdr + OFF_PREFIX;
    h->wrapped = hdr + OFF_WRAPPED;
    h->tag = hdr + OFF_TAG;
    bool ok = get_le32(hdr) == OTA_CHUNKED_MAGIC && h->version == OTA_CHUNKED_VERSION &&
              (h->wrap == OTA_WRAP_RSA_OAEP_3072 || h->wrap == OTA_WRAP_ECIES_P256) && h->chunk_len && h->length &&
              !reserved;
    return ok ? OTA_OK : OTA_ERR_DECRYPT_HEADER;
}

uint32_t ota_chunked_count(const struct ota_chunked_header *h)
{
    return h->length / h->chunk_len + (h->length % h->chunk_len ? 1u : 0u);
}

uint64_t ota_chunked_file_len(const struct ota_chunked_header *h)
{
    return (uint64_t)OTA_CHUNKED_HEADER_LEN + h->length + (uint64_t)OTA_CHUNKED_TAG_LEN * ota_chunked_count(h);
}

void ota_chunked_nonce(const struct ota_chunked_header *h, uint32_t index, uint8_t nonce[12])
{
    memcpy(nonce, h->nonce_prefix, 8);
    nonce[8] = (uint8_t)(index >> 24);
    nonce[9] = (uint8_t)(index >> 16);
    nonce[10] = (uint8_t)(index >> 8);
    nonce[11] = (uint8_t)index;
}

void ota_chunked_aad(const uint8_t header_digest[32], uint32_t index, bool last, uint8_t aad[37])
{
    memcpy(aad, header_digest, 32);
    put_le32(aad + 32, index);
    aad[36] = last ? 1 : 0;
}

static int unwrap(const struct ota_crypto_key *key, const struct ota_chunked_header *h, uint8_t out[32])
{
    uint8_t shared[32];
    enum ota_crypto_key_kind want = h->wrap == OTA_WRAP_RSA_OAEP_3072 ? OTA_KEY_RSA3072 : OTA_KEY_P256;
    if (ota_crypto_key_kind(key) != want) {
        return OTA_ERR_DECRYPT_SCHEME;
    }
    if (want == OTA_KEY_RSA3072) {
        return ota_crypto_rsa3072_unwrap(key, OTA_RSA_OAEP_SHA256, h->wrapped, out);
    }
    int err = ota_crypto_ecdh_p256(key, h->wrapped, shared);
    if (!err) {
        err = ota_crypto_hkdf_sha256(h->wrapped + 64, 32, shared, sizeof(shared), ecies_info, sizeof(ecies_info) - 1,
                                     out, 32);
    }
    memset(shared, 0, sizeof(shared));
    return err;
}

int ota_chunked_open(const struct ota_crypto_key *key, const uint8_t hdr[OTA_CHUNKED_HEADER_LEN],
                     const struct ota_chunked_header *h, uint8_t image_key[32])
{
    ota_gcm_ctx gcm;
    uint8_t nonce[12];
    int err = unwrap(key, h, image_key);
    if (err) {
        return err;
    }
    /* the header's tag: nonce index 0xffffffff, which no chunk uses */
    ota_chunked_nonce(h, 0xffffffffu, nonce);
    if ((err = ota_gcm_decrypt_begin(&gcm, image_key, nonce, sizeof(nonce), hdr, OFF_TAG))) {
        return err;
    }
    err = ota_gcm_decrypt_finish(&gcm, h->tag);
    ota_gcm_free(&gcm);
    return err == OTA_ERR_DECRYPT_TAG ? OTA_ERR_DECRYPT_KEY : err;
}
#else
typedef int ota_chunked_left_out;  /* an empty unit is not ISO C */
#endif
