/*
 * The ESP-IDF port's decryption key (the device's private key for encrypted
 * images, ota/decrypt.h), held in PSA's key store: the firmware hands it to
 * ota_service_config.decrypt_key (or ota_device.decrypt_key).
 */
#ifndef OTA_IDF_DECRYPT_H
#define OTA_IDF_DECRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/crypto.h"

struct ota_crypto_key {
    enum ota_crypto_key_kind kind;
    uint32_t psa_id;  /* psa_key_id_t */
};

/* A PEM private key (RSA-3072 or P-256) the firmware embeds or reads from a
 * partition (len counts the text, a terminating NUL not needed). Errors:
 * OTA_ERR_DECRYPT_KEY_FILE. */
int ota_idf_decrypt_key_from_pem(const char *pem, size_t len, struct ota_crypto_key *key);

/* The 32-byte HMAC key esp_encrypted_img derives the device's P-256 key from
 * (PBKDF2-HMAC-SHA256, its fixed salt, 2048 iterations), e.g. kept in NVS. */
int ota_idf_decrypt_key_from_hmac(const uint8_t hmac_key[32], struct ota_crypto_key *key);

/* The device's P-256 key derived as esp_encrypted_img does (PBKDF2 over the
 * HMAC key, see ota_idf_decrypt_key_from_hmac) with the HMAC key kept in
 * eFuse block BLOCK_KEY0 + key_block (purpose HMAC_UP): each HMAC is the
 * peripheral's, the key never leaves the eFuse. Errors:
 * OTA_ERR_DECRYPT_NO_KEY (no such key burned, or a chip without the HMAC
 * peripheral), OTA_ERR_DECRYPT_CRYPTO. */
int ota_idf_decrypt_key_from_efuse_hmac(unsigned key_block, struct ota_crypto_key *key);

/* The key the Kconfig choice names: CONFIG_OTA_DECRYPT_KEY_FROM_PEM (the
 * PEM given here, embedded or read from a partition) or
 * CONFIG_OTA_DECRYPT_KEY_FROM_EFUSE_HMAC (eFuse block
 * CONFIG_OTA_DECRYPT_HMAC_KEY_BLOCK; pem unused). */
int ota_idf_decrypt_key_configured(const char *pem, size_t len, struct ota_crypto_key *key);

void ota_idf_decrypt_key_free(struct ota_crypto_key *key);

#endif
