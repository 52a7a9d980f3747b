/*
 * Signature verification and decryption the core needs, as link-time port functions (the
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

#include <stddef.h>
#include <stdint.h>

/* Room for a port's AES-GCM state: a handle (the host's EVP context, a PSA
 * operation the port allocates in begin and releases in free), so the
 * update's state stays small whatever the library needs. */
#ifndef OTA_GCM_CTX_LEN
#define OTA_GCM_CTX_LEN 64
#endif

/* RSA-3072-PSS, SHA-256, MGF1-SHA-256, salt length 32, over a digest. */
int ota_crypto_rsa3072_pss_verify(const uint8_t n_le[384], uint32_t e, const uint8_t digest[32],
                                  const uint8_t sig_le[384]);

/* ECDSA P-256 over a digest. */
int ota_crypto_ecdsa_p256_verify(const uint8_t x_le[32], const uint8_t y_le[32], const uint8_t digest[32],
                                 const uint8_t r_le[32], const uint8_t s_le[32]);

/* ---- decryption of encrypted images (ota/decrypt.h) --------------------------
 * The device's private key is the port's: the core only hands it back. A
 * port loads it from where the device keeps it (host: a PEM or an HMAC key
 * file; ESP-IDF: a PEM in the firmware, or the eFuse HMAC key). These
 * return OTA_OK, OTA_ERR_DECRYPT_KEY (the key is not of the kind asked, or
 * the wrapped key does not open with it) or OTA_ERR_DECRYPT_CRYPTO. */

struct ota_crypto_key;  /* defined by the port */

enum ota_crypto_key_kind { OTA_KEY_NONE = 0, OTA_KEY_RSA3072, OTA_KEY_P256 };

/* What the key is: an RSA-3072 private key, or a P-256 one (given as such,
 * or derived from an HMAC key as esp_encrypted_img does: PBKDF2-HMAC-SHA256
 * with its fixed salt, 2048 iterations). */
enum ota_crypto_key_kind ota_crypto_key_kind(const struct ota_crypto_key *key);

enum ota_rsa_padding { OTA_RSA_PKCS1_V15 = 0, OTA_RSA_OAEP_SHA256 };

/* RSA-3072 decryption of a wrapped 32-byte key (big-endian, 384 bytes). */
int ota_crypto_rsa3072_unwrap(const struct ota_crypto_key *key, enum ota_rsa_padding pad, const uint8_t wrapped[384],
                              uint8_t out[32]);

/* ECDH on P-256 with the device key: the shared secret's X coordinate.
 * peer_xy: the peer's public point, X then Y, big-endian. */
int ota_crypto_ecdh_p256(const struct ota_crypto_key *key, const uint8_t peer_xy[64], uint8_t shared_x[32]);

/* HKDF-SHA256 (RFC 5869), out_len <= 255 * 32. */
int ota_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                           const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* AES-256-GCM decryption, streaming, in caller-owned storage (a port
 * checks its context fits with a static assert). begin takes the key, the
 * IV and the additional authenticated data; update decrypts any length
 * (out may equal in); finish compares the tag: OTA_ERR_DECRYPT_TAG when
 * it differs. free always releases what begin took. */
typedef struct {
    _Alignas(8) uint8_t opaque[OTA_GCM_CTX_LEN];
} ota_gcm_ctx;

int ota_gcm_decrypt_begin(ota_gcm_ctx *ctx, const uint8_t key[32], const uint8_t *iv, size_t iv_len,
                          const uint8_t *aad, size_t aad_len);
int ota_gcm_decrypt_update(ota_gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len);
int ota_gcm_decrypt_finish(ota_gcm_ctx *ctx, const uint8_t tag[16]);
/* After finish: the next message under the same key (a new IV and AAD),
 * without setting the key up again. */
int ota_gcm_decrypt_restart(ota_gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len);
void ota_gcm_free(ota_gcm_ctx *ctx);

#endif
