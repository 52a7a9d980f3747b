/*
 * Hashes the core needs (SHA-256 for images, MD5 for the partition table),
 * as a link-time port interface: the core declares these functions, a port
 * implements them (the host port with mbedTLS; an ESP32 port would use its
 * ROM or hardware). The context is opaque storage big enough for common
 * implementations; a port checks its own context fits with a static assert.
 *
 * Reentrancy: each computation lives in its caller-owned context, so the
 * port functions must be reentrant for distinct contexts (hardware SHA
 * engines serialise inside the port). Nothing keeps the data pointer after
 * a call returns.
 */
#ifndef OTA_HASH_H
#define OTA_HASH_H

#include <stdint.h>
#include <stddef.h>

#define OTA_SHA256_LEN 32
#define OTA_MD5_LEN 16

typedef struct {
    _Alignas(8) uint8_t opaque[256];
} ota_sha256_ctx;

typedef struct {
    _Alignas(8) uint8_t opaque[256];
} ota_md5_ctx;

void ota_sha256_init(ota_sha256_ctx *ctx);
void ota_sha256_update(ota_sha256_ctx *ctx, const void *data, size_t len);
void ota_sha256_finish(ota_sha256_ctx *ctx, uint8_t out[OTA_SHA256_LEN]);

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN]);

/* CRC-32/IEEE (zlib.crc32): reflected 0xEDB88320, init and final xor
 * 0xFFFFFFFF. Pass 0 as crc to start; feed the result back to continue. */
uint32_t ota_crc32(uint32_t crc, const void *data, size_t len);

#endif
