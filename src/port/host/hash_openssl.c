/* The core's hash interface on OpenSSL's libcrypto (the host default): its
 * SHA-256 uses the CPU's SHA extensions where present (~1.6 GB/s here
 * against ~0.35 GB/s for mbedTLS 2.28's portable C), and hashing is most of
 * an update's CPU time. Select hash_mbedtls.c with -DOTA_HASH=mbedtls.
 *
 * The SHA256_* calls, not EVP: an EVP_MD_CTX is a heap object, while the
 * core keeps its hash state inside caller-owned structs and may drop one
 * unfinished (an item that fails mid-stream). SHA256_CTX lives in place, in
 * ota_sha256_ctx, and runs the same assembly as EVP's SHA-256. */
#define OPENSSL_API_COMPAT 0x10100000L /* SHA256_Init & co. are marked deprecated in 3.0, not removed */
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "ota/hash.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(ota_sha256_ctx), "ota_sha256_ctx too small");

void ota_sha256_init(ota_sha256_ctx *ctx)
{
    (void)SHA256_Init((SHA256_CTX *)ctx->opaque);
}

void ota_sha256_update(ota_sha256_ctx *ctx, const void *data, size_t len)
{
    (void)SHA256_Update((SHA256_CTX *)ctx->opaque, data, len);
}

void ota_sha256_finish(ota_sha256_ctx *ctx, uint8_t out[OTA_SHA256_LEN])
{
    (void)SHA256_Final(out, (SHA256_CTX *)ctx->opaque);
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    (void)MD5(data, len, out);
}
