/*
 * Encrypted images: a payload layer in front of the app writer.
 *
 *   bytes in -> decrypt -> (plain image) -> app writer
 *
 * An app update whose first byte pushed is 0xcf (an esp_encrypted_img
 * image starts cf b6 88 07; a plain image starts 0xe9) is decrypted as it
 * streams, in bounded RAM (struct ota_decrypt, 1032 bytes; our chunked
 * format also a caller-owned 4112-byte work area), with the
 * device's key (ota_device.decrypt_key). The esp_encrypted_img format has
 * one GCM tag over the whole image, at the end: the decrypted image goes to
 * the slot as it arrives, is verified as any image, and otadata changes
 * only after the tag verified (ota_app_finish). It cannot be checked piece
 * by piece, so it never resumes after a power cut: it restarts from byte 0.
 *
 * Build with OTA_NO_DECRYPT defined to leave the layer out (an encrypted
 * image is then refused as not an app image): define it for every unit that
 * includes ota/update.h, as struct ota_app_update holds the layer's state.
 */
#ifndef OTA_DECRYPT_H
#define OTA_DECRYPT_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/crypto.h"
#include "ota/hash.h"
#include "ota/source.h"

struct ota_delta;

/* ---- esp_encrypted_img (docs/encryption.md) ---------------------------------- */

#define OTA_ESP_ENC_MAGIC 0x0788b6cfu  /* first 4 bytes of SHA-256("esp_encrypted_img"), LE */
#define OTA_ESP_ENC_MAGIC0 0xcfu
#define OTA_ESP_ENC_HEADER_LEN 512u
#define OTA_ESP_ENC_WRAP_LEN 384u
#define OTA_ESP_ENC_IV_LEN 16u
#define OTA_ESP_ENC_TAG_LEN 16u

struct ota_esp_enc_header {
    const uint8_t *wrapped;  /* 384 bytes: RSA-3072 wrapped key, or ECC point (64) + HKDF salt (32) */
    uint8_t iv[OTA_ESP_ENC_IV_LEN];
    uint32_t length;         /* of the ciphertext = of the plain image */
    uint8_t tag[OTA_ESP_ENC_TAG_LEN];
};

/* Parse the 512-byte header (wrapped points into hdr). Errors:
 * OTA_ERR_DECRYPT_HEADER (magic, or a zero length). */
int ota_esp_enc_parse_header(const uint8_t hdr[OTA_ESP_ENC_HEADER_LEN], struct ota_esp_enc_header *h);

/* The GCM key of an image: RSA-3072 PKCS#1 v1.5 unwrap, or ECDH P-256 with
 * the header's point, then HKDF-SHA256 (salt from the header, info
 * "_esp_enc_img_ecc"), by the kind of the device's key. */
int ota_esp_enc_image_key(const struct ota_crypto_key *key, const struct ota_esp_enc_header *h, uint8_t out[32]);

/* ---- our chunked format (docs/encryption.md) ------------------------------------ */

#define OTA_CHUNKED_MAGIC 0x45544fceu  /* ce 4f 54 45 */
#define OTA_CHUNKED_MAGIC0 0xceu
#define OTA_CHUNKED_VERSION 1u
#define OTA_CHUNKED_HEADER_LEN 512u
#define OTA_CHUNKED_TAG_LEN 16u
#define OTA_CHUNKED_CHUNK_MAX 4096u    /* the device's chunk buffer */
#define OTA_CHUNKED_WORK_LEN (OTA_CHUNKED_CHUNK_MAX + OTA_CHUNKED_TAG_LEN)

enum ota_chunked_wrap { OTA_WRAP_RSA_OAEP_3072 = 1, OTA_WRAP_ECIES_P256 = 2 };

struct ota_chunked_header {
    uint8_t version, wrap;
    uint32_t chunk_len;                    /* bytes of plain image per chunk (the last may be shorter) */
    uint32_t length;                       /* of the plain image */
    const uint8_t *sha256;                 /* of the plain image */
    const uint8_t *nonce_prefix;           /* 8 bytes */
    const uint8_t *wrapped;                /* 384 bytes */
    const uint8_t *tag;                    /* the header's own tag */
};

/* Parse the 512-byte header. Errors: OTA_ERR_DECRYPT_HEADER (magic,
 * version, wrap, chunk size, zero length, a reserved byte set). */
int ota_chunked_parse_header(const uint8_t hdr[OTA_CHUNKED_HEADER_LEN], struct ota_chunked_header *h);

/* Chunks in an image, and the whole file's length. */
uint32_t ota_chunked_count(const struct ota_chunked_header *h);
uint64_t ota_chunked_file_len(const struct ota_chunked_header *h);

/* Open the image key with the device's key (RSA-OAEP-3072 SHA-256, or ECDH
 * P-256 + HKDF-SHA256) and check the header's tag with it. Errors:
 * OTA_ERR_DECRYPT_SCHEME, OTA_ERR_DECRYPT_KEY (another device's key, or an
 * altered header), OTA_ERR_DECRYPT_CRYPTO. */
int ota_chunked_open(const struct ota_crypto_key *key, const uint8_t hdr[OTA_CHUNKED_HEADER_LEN],
                     const struct ota_chunked_header *h, uint8_t image_key[32]);

/* A chunk's nonce and additional data: the header's digest, the index, and
 * whether it is the last. */
void ota_chunked_nonce(const struct ota_chunked_header *h, uint32_t index, uint8_t nonce[12]);
void ota_chunked_aad(const uint8_t header_digest[32], uint32_t index, bool last, uint8_t aad[37]);

/* ---- the streaming state ---------------------------------------------------- */

/* RESUMABLE: a chunked transfer the journal holds, its header read back
 * from the slot; the next seek continues it at a chunk boundary. */
enum ota_decrypt_state { OTA_DECRYPT_OFF = 0, OTA_DECRYPT_HEADER, OTA_DECRYPT_BODY, OTA_DECRYPT_RESUMABLE };
/* What the decrypted bytes are, told by their first 4 (ota_delta_is_patch). */
enum ota_decrypt_form { OTA_FORM_UNTOLD = 0, OTA_FORM_IMAGE, OTA_FORM_PATCH };
enum ota_decrypt_format { OTA_DECRYPT_ESP = 0, OTA_DECRYPT_CHUNKED };

struct ota_decrypt {
    uint8_t state;                  /* enum ota_decrypt_state */
    uint8_t format;                 /* enum ota_decrypt_format */
    bool keep_digest;               /* hash the encrypted bytes (a release item asks) */
    bool gcm_open;                  /* gcm holds state to free */
    uint32_t hdr_len;               /* header bytes gathered */
    uint64_t taken;                 /* encrypted bytes taken, header included */
    uint64_t file_len;              /* the whole encrypted file's, once the header is read */
    int64_t announced;              /* the source's length, or OTA_LENGTH_UNKNOWN */
    uint32_t body_len;              /* plain bytes the header announces */
    uint8_t tag[OTA_ESP_ENC_TAG_LEN];
    ota_sha256_ctx sha;             /* of the encrypted bytes: a release signs the file it serves */
    union {
        uint8_t digest[32];         /* its result, once the last byte is taken */
        /* before that: a decrypted patch's base, the running app's appended
         * SHA-256, which the applier compares with the patch header's (read
         * from the first bytes, before the last encrypted byte arrives) */
        uint8_t base_sha256[32];
    } sum;
    uint8_t buf[OTA_ESP_ENC_HEADER_LEN];  /* the header, then decrypted bytes on their way out */
    ota_gcm_ctx gcm;
    /* chunked: the image key, the header's digest and chunk, the chunk being gathered */
    uint8_t key[32];
    uint8_t hdr_digest[32];
    uint8_t nonce_prefix[8];
    uint32_t chunk_len, chunks, index, fill;
    uint8_t *work;                  /* ota_device.decrypt_work: OTA_CHUNKED_WORK_LEN bytes */
    /* the payload inside: an image, or a patch / compressed image the
     * applier (ota_app_options.delta_work) turns into one */
    struct ota_delta *delta;        /* the applier's memory (ota_app_apply_decrypted), or NULL */
    uint8_t form;                   /* enum ota_decrypt_form */
    uint8_t form_len;               /* first decrypted bytes held until the form is told */
    uint8_t form_head[4];
    bool keep_header;               /* chunked, journaled: the header goes to the slot with the first chunk */
};

#endif
