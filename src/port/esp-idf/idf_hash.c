/* The core's hashes on ESP-IDF: SHA-256 through PSA Crypto (mbedTLS 4 in
 * ESP-IDF v6 keeps mbedtls_sha256_* private; PSA also reaches the SHA
 * accelerator through ESP-IDF's drivers), MD5 from the ROM (only the
 * partition table's 3 KiB go through it). */
#include <string.h>

#include "esp_rom_md5.h"
#include "psa/crypto.h"

#include "ota/hash.h"

_Static_assert(sizeof(psa_hash_operation_t) <= sizeof(ota_sha256_ctx), "ota_sha256_ctx too small for PSA");

static psa_hash_operation_t *op_of(ota_sha256_ctx *ctx)
{
    return (psa_hash_operation_t *)ctx->opaque;
}

void ota_sha256_init(ota_sha256_ctx *ctx)
{
    psa_hash_operation_t *op = op_of(ctx);
    *op = psa_hash_operation_init();
    (void)psa_crypto_init();  /* idempotent; the startup code normally did it */
    (void)psa_hash_setup(op, PSA_ALG_SHA_256);
}

void ota_sha256_update(ota_sha256_ctx *ctx, const void *data, size_t len)
{
    (void)psa_hash_update(op_of(ctx), data, len);
}

/* A failed operation leaves a digest of zeros, which no image carries:
 * the comparison that follows fails rather than passes. */
void ota_sha256_finish(ota_sha256_ctx *ctx, uint8_t out[OTA_SHA256_LEN])
{
    size_t n = 0;
    if (psa_hash_finish(op_of(ctx), out, OTA_SHA256_LEN, &n) != PSA_SUCCESS || n != OTA_SHA256_LEN) {
        memset(out, 0, OTA_SHA256_LEN);
        (void)psa_hash_abort(op_of(ctx));
    }
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    md5_context_t c;
    esp_rom_md5_init(&c);
    esp_rom_md5_update(&c, data, (uint32_t)len);
    esp_rom_md5_final(out, &c);
}
