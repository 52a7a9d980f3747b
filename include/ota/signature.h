/*
 * ESP-IDF Secure Boot V2 signature sector (../shared/docs/esp-formats.md
 * section 5): the signed image is padded with 0xFF to a 4 KiB boundary and
 * followed by a 4 KiB sector of up to three 1216-byte blocks, then 0xFF.
 * Block version 2 is RSA-3072-PSS, version 3 ECDSA (P-256 here).
 *
 * Reentrancy: the result and work structs are the caller's; the read
 * callback and the crypto port run synchronously during the call; nothing is
 * kept after it returns.
 */
#ifndef OTA_SIGNATURE_H
#define OTA_SIGNATURE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/hash.h"
#include "ota/reader.h"

#define OTA_SIG_SECTOR_LEN 4096u
#define OTA_SIG_BLOCK_LEN 1216u
#define OTA_SIG_BLOCK_MAGIC 0xE7u
#define OTA_SIG_VERSION_RSA 2u
#define OTA_SIG_VERSION_ECDSA 3u
#define OTA_SIG_CURVE_P256 2u
#define OTA_SIG_MAX_BLOCKS 3u

struct ota_sig_block {
    uint8_t version;            /* 2 RSA-3072-PSS, 3 ECDSA */
    uint8_t sha_type;           /* version 3: 0 = SHA-256 */
    uint8_t image_digest[OTA_SHA256_LEN];
    /* version 2 */
    uint8_t rsa_n[384];         /* little-endian, as stored */
    uint32_t rsa_e;
    uint8_t rsa_rinv[384];
    uint32_t rsa_mdash;
    uint8_t rsa_sig[384];
    /* version 3 */
    uint8_t curve;
    uint8_t ec_x[32], ec_y[32], ec_r[32], ec_s[32];
    uint32_t crc_stored, crc_computed;
    uint8_t key_digest[OTA_SHA256_LEN];  /* what eFuse holds for this key */
};

/* Decode one block. Errors: OTA_ERR_SIG_MISSING (erased: no block),
 * OTA_ERR_SIG_BLOCK (magic, version, curve or CRC). Fills b as far as it got. */
int ota_sig_block_decode(const uint8_t raw[OTA_SIG_BLOCK_LEN], struct ota_sig_block *b);

/* Encode a block (the CRC is computed here; rinv and mdash must be set). */
void ota_sig_block_encode(const struct ota_sig_block *b, uint8_t raw[OTA_SIG_BLOCK_LEN]);

/* Where the signature sector of an image of image_len bytes sits. */
uint32_t ota_sig_sector_offset(uint32_t image_len);

struct ota_sig_result {
    unsigned blocks;                      /* valid blocks found */
    struct ota_sig_block block;           /* the first one (or the one that verified) */
    uint8_t digest[OTA_SHA256_LEN];       /* SHA-256 of [0, sector offset) */
    bool verified;
    uint8_t raw[OTA_SIG_BLOCK_LEN];       /* working memory: the block as read */
};

/* Check the signature sector that follows an image of image_len bytes (as
 * the app verifier reports it), read through `read`: the digest of
 * everything before the sector, each block's CRC, digest and signature.
 * With trusted_key_digest (NULL: any key), a block must also carry that
 * key. Errors: OTA_ERR_SIG_MISSING, _BLOCK, _DIGEST, _INVALID,
 * _UNTRUSTED_KEY, or the read callback's. */
int ota_sig_verify(ota_read_fn read, void *ctx, uint32_t image_len, const uint8_t *trusted_key_digest,
                   struct ota_sig_result *res);

/* Secure Boot V2 as a chip's ROM and bootloader take it (ESP-IDF v6.0:
 * SOC_SECURE_BOOT_V2_RSA / _ECC in each chip's soc_caps.h, the ROM's
 * SECURE_BOOT_NUM_BLOCKS). ESP32, -S2, -S3, -C3: RSA-3072 only; -C2, -C61:
 * ECDSA only; -C6, -H2, -P4, -C5: either. An ESP32 (and -C2) checks only
 * the first block; the others any of three. OTA_CHIP_ANY or a chip not in
 * the table: either scheme, three blocks. Masks are 1 << block version. */
#define OTA_SIG_SCHEME_RSA (1u << OTA_SIG_VERSION_RSA)
#define OTA_SIG_SCHEME_ECDSA (1u << OTA_SIG_VERSION_ECDSA)
unsigned ota_sig_chip_schemes(uint16_t chip_id);
unsigned ota_sig_chip_blocks(uint16_t chip_id);
/* "RSA-3072", "ECDSA" or "RSA-3072 or ECDSA" for a mask. */
const char *ota_sig_schemes_name(unsigned schemes);

/* ota_sig_verify with the rules of chip_id: only the blocks its ROM reads,
 * only the schemes it takes. A block of another scheme never verifies:
 * OTA_ERR_SIG_SCHEME when no block of an accepted scheme was found (logged
 * with the chip and the scheme). */
int ota_sig_verify_chip(ota_read_fn read, void *ctx, uint32_t image_len, uint16_t chip_id,
                        const uint8_t *trusted_key_digest, struct ota_sig_result *res);

/* The same, for an app image at the start of a partition, with the rules
 * of the chip its header names (the image verifier has already held that
 * chip to the device's). */
#include "ota/flash.h"
#include "ota/partition.h"
int ota_sig_verify_partition(const struct ota_flash *f, const struct ota_partition *part, uint32_t image_len,
                             const uint8_t *trusted_key_digest, struct ota_sig_result *res);

#endif
