/*
 * The host port's decryption key (the device's private key for encrypted
 * images, ota/decrypt.h): loaded from a file, as `ota run --decrypt-key`
 * and CONFIG_OTA_DECRYPT_KEY name it.
 */
#ifndef OTA_HOST_DECRYPT_H
#define OTA_HOST_DECRYPT_H

#include "ota/crypto.h"

/* A PEM private key (RSA-3072 or P-256, PKCS#1, SEC1 or PKCS#8), or a file of
 * exactly 32 bytes: the HMAC key esp_encrypted_img derives the device's P-256
 * key from (as an eFuse HMAC key block would hold it). Errors:
 * OTA_ERR_DECRYPT_KEY_FILE, OTA_ERR_NO_MEM. */
int ota_host_decrypt_key_load(const char *path, struct ota_crypto_key **out);
void ota_host_decrypt_key_free(struct ota_crypto_key *key);

/* The HMAC-key derivation on its own: PBKDF2-HMAC-SHA256(hmac_key, the
 * component's fixed salt, 2048 iterations) read as a big-endian P-256 scalar. */
int ota_host_decrypt_key_from_hmac(const uint8_t hmac_key[32], struct ota_crypto_key **out);

#endif
