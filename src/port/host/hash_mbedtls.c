/* The core's hash interface on mbedTLS. */
#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "ota/hash.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(ota_sha256_ctx), "ota_sha256_ctx too small");
_Static_assert(sizeof(mbedtls_md5_context) <= sizeof(ota_md5_ctx), "ota_md5_ctx too small");

#if MBEDTLS_VERSION_MAJOR >= 3
#define SHA256_STARTS mbedtls_sha256_starts
#define SHA256_UPDATE mbedtls_sha256_update
#define SHA256_FINISH mbedtls_sha256_finish
#define MD5_ONESHOT mbedtls_md5
#else
#define SHA256_STARTS mbedtls_sha256_starts_ret
#define SHA256_UPDATE mbedtls_sha256_update_ret
#define SHA256_FINISH mbedtls_sha256_finish_ret
#define MD5_ONESHOT mbedtls_md5_ret
#endif

void ota_sha256_init(ota_sha256_ctx *ctx)
{
    mbedtls_sha256_context *c = (mbedtls_sha256_context *)ctx->opaque;
    mbedtls_sha256_init(c);
    (void)SHA256_STARTS(c, 0);
}

void ota_sha256_update(ota_sha256_ctx *ctx, const void *data, size_t len)
{
    (void)SHA256_UPDATE((mbedtls_sha256_context *)ctx->opaque, data, len);
}

void ota_sha256_finish(ota_sha256_ctx *ctx, uint8_t out[OTA_SHA256_LEN])
{
    mbedtls_sha256_context *c = (mbedtls_sha256_context *)ctx->opaque;
    (void)SHA256_FINISH(c, out);
    mbedtls_sha256_free(c);
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    (void)MD5_ONESHOT(data, len, out);
}
