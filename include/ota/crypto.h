/*
 * Signature verification the core needs, as link-time port functions (the
 * host port implements them with mbedTLS; an ESP32 port would use its ROM
 * or hardware). Big numbers are little-endian, as in the signature block.
 * Each returns 0 when the signature verifies, OTA_ERR_SIG_INVALID when it
 * does not, OTA_ERR_SIG_KEY for a key the port cannot use.
 *
 * Reentrancy: called synchronously with the caller's buffers, never kept
 * after the call; a port must allow concurrent calls (or serialise inside).
 */
#ifndef OTA_CRYPTO_H
#define OTA_CRYPTO_H

#include <stdint.h>

/* RSA-3072-PSS, SHA-256, MGF1-SHA-256, salt length 32, over a digest. */
int ota_crypto_rsa3072_pss_verify(const uint8_t n_le[384], uint32_t e, const uint8_t digest[32],
                                  const uint8_t sig_le[384]);

/* ECDSA P-256 over a digest. */
int ota_crypto_ecdsa_p256_verify(const uint8_t x_le[32], const uint8_t y_le[32], const uint8_t digest[32],
                                 const uint8_t r_le[32], const uint8_t s_le[32]);

#endif
