/*
 * Host tooling for Secure Boot V2 signatures, with mbedTLS: sign an image
 * as ESP-IDF's espsecure.py sign_data --version 2 does, and compute the key
 * digest that the eFuse would hold.
 */
#ifndef OTA_HOST_SIGN_H
#define OTA_HOST_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/image.h"

/* Emit image, 0xFF padding to 4 KiB, and a signature sector with one block
 * made with the private key in key_pem_path: RSA-3072 (PSS, version 2) or
 * EC P-256 (version 3). deterministic: the PSS salt comes from a DRBG
 * seeded by the image digest (ECDSA is RFC 6979 deterministic anyway), so
 * the output is reproducible. Errors: OTA_ERR_SIG_KEY, OTA_ERR_IO, emit's. */
int ota_host_sign(const uint8_t *image, size_t image_len, const char *key_pem_path, bool deterministic,
                  ota_emit_fn emit, void *ctx);

/* The signature block version a key file makes: OTA_SIG_VERSION_RSA or
 * OTA_SIG_VERSION_ECDSA. Errors: OTA_ERR_SIG_KEY. */
int ota_host_key_scheme(const char *pem_path, unsigned *version);

/* The eFuse key digest of a public (or private) key file. */
int ota_host_key_digest(const char *pem_path, uint8_t digest[32]);

/* The schemes Secure Boot V2 keys come in (espsecure's --scheme). */
enum ota_key_scheme { OTA_SIGN_KEY_RSA3072, OTA_SIGN_KEY_ECDSA256, OTA_SIGN_KEY_ECDSA384 };

/* A new private key, PEM, into pem (cap bytes; 4 KiB is enough).
 * Errors: OTA_ERR_SIG_KEY. */
int ota_host_key_new(enum ota_key_scheme scheme, char *pem, size_t cap);

/* The public half of a private (or public) key file, PEM. Errors:
 * OTA_ERR_SIG_KEY (not a key this tool reads). */
int ota_host_key_public_pem(const char *key_path, char *pem, size_t cap);

#endif
