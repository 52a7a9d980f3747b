/*
 * Making encrypted images on the host (`ota image encrypt`): the device
 * decrypts them (ota/decrypt.h). The whole image is in memory: a tool's job.
 */
#ifndef OTA_HOST_ENCRYPT_H
#define OTA_HOST_ENCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/crypto.h"

/* The public key a device's private key answers to (PEM): RSA-3072 or P-256.
 * Errors: OTA_ERR_DECRYPT_KEY_FILE. */
int ota_host_encrypt_pub_kind(const char *pub_pem, enum ota_crypto_key_kind *kind);

/* esp_encrypted_img's format (esp_enc_img_gen.py encrypt): a 512-byte header,
 * then the AES-256-GCM ciphertext; RSA-3072 PKCS#1 v1.5 key wrap or ECC-256
 * (ephemeral ECDH P-256 + HKDF-SHA256), by the key's kind. *out is malloc'd. */
int ota_host_encrypt_esp(const uint8_t *in, size_t len, const char *pub_pem, uint8_t **out, size_t *out_len);

/* Our chunked format (docs/encryption.md): RSA-OAEP-3072 (SHA-256) or ECIES
 * P-256 key wrap by the key's kind, chunks of 2^chunk_log2 bytes (9..12),
 * each AES-256-GCM with its own tag. *out is malloc'd. */
int ota_host_encrypt_chunked(const uint8_t *in, size_t len, const char *pub_pem, unsigned chunk_log2, uint8_t **out,
                             size_t *out_len);

#endif
