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

void ota_idf_decrypt_key_free(struct ota_crypto_key *key);

#endif
