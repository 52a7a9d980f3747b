/* Secure Boot V2 signature sector: decode, encode, verify. */
#include <string.h>

#include "ota/crypto.h"
#include "ota/error.h"
#include "ota/image.h"
#include "ota/log.h"
#include "ota/signature.h"
#include "bytes.h"

/*
 * Block, 1216 bytes:
 *   0 magic 0xE7; 1 version; 2 sha type (v3); 3 reserved; 4 image digest[32]
 *   v2: 36 n[384]; 420 e u32; 424 rinv[384]; 808 mdash u32; 812 signature[384]
 *   v3: 36 curve id; 37 x[32] y[32]; 101 r[32] s[32]; the rest 0
 *   1196 CRC-32 (zlib) of bytes 0..1195; 1200 16 zero bytes
 * Key digest (eFuse): SHA-256 of bytes 36..811 (v2) or 36..100 (v3).
 */
#define CRC_OFF 1196u

uint32_t ota_sig_sector_offset(uint32_t image_len)
{
    return (image_len + OTA_SIG_SECTOR_LEN - 1u) & ~(OTA_SIG_SECTOR_LEN - 1u);
}

int ota_sig_block_decode(const uint8_t raw[OTA_SIG_BLOCK_LEN], struct ota_sig_block *b)
{
    ota_sha256_ctx sha;
    memset(b, 0, sizeof(*b));
    if (raw[0] == 0xFF && raw[1] == 0xFF) {
        return OTA_ERR_SIG_MISSING;
    }
    b->version = raw[1];
    b->sha_type = raw[2];
    memcpy(b->image_digest, raw + 4, sizeof(b->image_digest));
    b->crc_stored = get_le32(raw + CRC_OFF);
    b->crc_computed = ota_crc32(0, raw, CRC_OFF);
    if (raw[0] != OTA_SIG_BLOCK_MAGIC || b->crc_stored != b->crc_computed) {
        return OTA_ERR_SIG_BLOCK;
    }
    ota_sha256_init(&sha);
    if (b->version == OTA_SIG_VERSION_RSA) {
        memcpy(b->rsa_n, raw + 36, 384);
        b->rsa_e = get_le32(raw + 420);
        memcpy(b->rsa_rinv, raw + 424, 384);
        b->rsa_mdash = get_le32(raw + 808);
        memcpy(b->rsa_sig, raw + 812, 384);
        ota_sha256_update(&sha, raw + 36, 812 - 36);
    } else if (b->version == OTA_SIG_VERSION_ECDSA) {
        b->curve = raw[36];
        memcpy(b->ec_x, raw + 37, 32);
        memcpy(b->ec_y, raw + 69, 32);
        memcpy(b->ec_r, raw + 101, 32);
        memcpy(b->ec_s, raw + 133, 32);
        ota_sha256_update(&sha, raw + 36, 101 - 36);
    }
    ota_sha256_finish(&sha, b->key_digest);
    if (b->version != OTA_SIG_VERSION_RSA && b->version != OTA_SIG_VERSION_ECDSA) {
        return OTA_ERR_SIG_BLOCK;
    }
    if (b->version == OTA_SIG_VERSION_ECDSA && (b->curve != OTA_SIG_CURVE_P256 || b->sha_type != 0)) {
        return OTA_ERR_SIG_BLOCK;  /* P-384 / SHA-384 blocks exist; this port verifies P-256 */
    }
    return OTA_OK;
}

void ota_sig_block_encode(const struct ota_sig_block *b, uint8_t raw[OTA_SIG_BLOCK_LEN])
{
    memset(raw, 0, OTA_SIG_BLOCK_LEN);
    raw[0] = OTA_SIG_BLOCK_MAGIC;
    raw[1] = b->version;
    memcpy(raw + 4, b->image_digest, sizeof(b->image_digest));
    if (b->version == OTA_SIG_VERSION_RSA) {
        memcpy(raw + 36, b->rsa_n, 384);
        put_le32(raw + 420, b->rsa_e);
        memcpy(raw + 424, b->rsa_rinv, 384);
        put_le32(raw + 808, b->rsa_mdash);
        memcpy(raw + 812, b->rsa_sig, 384);
    } else {
        raw[2] = b->sha_type;
        raw[36] = b->curve;
        memcpy(raw + 37, b->ec_x, 32);
        memcpy(raw + 69, b->ec_y, 32);
        memcpy(raw + 101, b->ec_r, 32);
        memcpy(raw + 133, b->ec_s, 32);
    }
    put_le32(raw + CRC_OFF, ota_crc32(0, raw, CRC_OFF));
}

static int check_block(const struct ota_sig_block *b, const uint8_t digest[OTA_SHA256_LEN])
{
    if (memcmp(b->image_digest, digest, OTA_SHA256_LEN) != 0) {
        return OTA_ERR_SIG_DIGEST;
    }
    if (b->version == OTA_SIG_VERSION_RSA) {
        return ota_crypto_rsa3072_pss_verify(b->rsa_n, b->rsa_e, digest, b->rsa_sig);
    }
    return ota_crypto_ecdsa_p256_verify(b->ec_x, b->ec_y, digest, b->ec_r, b->ec_s);
}

/* Per chip: SOC_SECURE_BOOT_V2_RSA / _ECC (soc_caps.h) and the ROM's
 * SECURE_BOOT_NUM_BLOCKS (esp_rom .../rom/secure_boot.h), ESP-IDF v6.0. */
static const struct {
    uint16_t chip;
    uint8_t schemes;
    uint8_t blocks;
} chip_sb[] = {
    {OTA_CHIP_ESP32, OTA_SIG_SCHEME_RSA, 1},   {OTA_CHIP_ESP32S2, OTA_SIG_SCHEME_RSA, 3},
    {OTA_CHIP_ESP32C3, OTA_SIG_SCHEME_RSA, 3}, {OTA_CHIP_ESP32S3, OTA_SIG_SCHEME_RSA, 3},
    {0x000C /* C2 */, OTA_SIG_SCHEME_ECDSA, 1}, {0x0014 /* C61 */, OTA_SIG_SCHEME_ECDSA, 3},
};

/* The chip's schemes (bits 0-7) and blocks (bits 8-15); `other` for a chip not listed. */
static unsigned chip_row(uint16_t chip_id, unsigned other)
{
    for (unsigned i = 0; i < sizeof(chip_sb) / sizeof(chip_sb[0]); i++) {
        if (chip_sb[i].chip == chip_id) {
            return (unsigned)chip_sb[i].schemes | (unsigned)chip_sb[i].blocks << 8;
        }
    }
    return other;
}

unsigned ota_sig_chip_schemes(uint16_t chip_id)
{
    return chip_row(chip_id, OTA_SIG_SCHEME_RSA | OTA_SIG_SCHEME_ECDSA) & 0xFFu;
}

unsigned ota_sig_chip_blocks(uint16_t chip_id)
{
    return chip_row(chip_id, OTA_SIG_MAX_BLOCKS << 8) >> 8;
}

const char *ota_sig_schemes_name(unsigned schemes)
{
    if (schemes == OTA_SIG_SCHEME_RSA) {
        return "RSA-3072";
    }
    return schemes == OTA_SIG_SCHEME_ECDSA ? "ECDSA" : "RSA-3072 or ECDSA";
}

/* One block against the digest, the chip's schemes and the trusted key. */
static int judge_block(const struct ota_sig_block *b, const uint8_t digest[OTA_SHA256_LEN], uint16_t chip_id,
                       const uint8_t *trusted_key_digest)
{
    unsigned schemes = ota_sig_chip_schemes(chip_id);
    if (!(schemes & (1u << b->version))) {
        OTA_LOGE("secure_boot_v2", "%s Secure Boot V2 takes %s signatures only: this block is %s",
                 ota_chip_name(chip_id), ota_sig_schemes_name(schemes),
                 ota_sig_schemes_name(1u << b->version));
        return OTA_ERR_SIG_SCHEME;
    }
    int err = check_block(b, digest);
    if (!err && trusted_key_digest && memcmp(b->key_digest, trusted_key_digest, OTA_SHA256_LEN) != 0) {
        err = OTA_ERR_SIG_UNTRUSTED_KEY;
    }
    return err;
}

int ota_sig_verify(ota_read_fn read, void *ctx, uint32_t image_len, const uint8_t *trusted_key_digest,
                   struct ota_sig_result *res)
{
    return ota_sig_verify_chip(read, ctx, image_len, OTA_CHIP_ANY, trusted_key_digest, res);
}

int ota_sig_verify_chip(ota_read_fn read, void *ctx, uint32_t image_len, uint16_t chip_id,
                        const uint8_t *trusted_key_digest, struct ota_sig_result *res)
{
    uint8_t chunk[256];
    ota_sha256_ctx sha;
    int err, first_err = OTA_ERR_SIG_MISSING;
    uint32_t sector = ota_sig_sector_offset(image_len);

    memset(res, 0, sizeof(*res));
    ota_sha256_init(&sha);
    for (uint32_t off = 0; off < sector;) {
        uint32_t n = sector - off < sizeof(chunk) ? sector - off : (uint32_t)sizeof(chunk);
        if ((err = read(ctx, off, chunk, n))) {
            return err == OTA_ERR_OUT_OF_BOUNDS ? OTA_ERR_SIG_MISSING : err;
        }
        ota_sha256_update(&sha, chunk, n);
        off += n;
    }
    ota_sha256_finish(&sha, res->digest);
    for (unsigned i = 0; i < ota_sig_chip_blocks(chip_id); i++) {
        struct ota_sig_block b;
        if ((err = read(ctx, sector + i * OTA_SIG_BLOCK_LEN, res->raw, OTA_SIG_BLOCK_LEN))) {
            return err == OTA_ERR_OUT_OF_BOUNDS ? first_err : err;
        }
        err = ota_sig_block_decode(res->raw, &b);
        if (err == OTA_ERR_SIG_MISSING) {
            break;
        }
        if (i == 0) {
            res->block = b;
        }
        if (!err) {
            res->blocks++;
            err = judge_block(&b, res->digest, chip_id, trusted_key_digest);
        }
        if (!err) {
            res->block = b;
            res->verified = true;
            return OTA_OK;
        }
        /* A block of a scheme the chip skips says least about the image. */
        if (first_err == OTA_ERR_SIG_MISSING || first_err == OTA_ERR_SIG_SCHEME) {
            first_err = err;
        }
    }
    return first_err;
}

int ota_sig_verify_partition(const struct ota_flash *f, const struct ota_partition *part, uint32_t image_len,
                             const uint8_t *trusted_key_digest, struct ota_sig_result *res)
{
    struct ota_part_reader r = {f, part};
    uint8_t chip[2];
    int err = ota_flash_read(f, part->offset + 12u, chip, sizeof(chip));
    if (err) {
        return err;
    }
    return ota_sig_verify_chip(ota_part_reader_read, &r, image_len, get_le16(chip), trusted_key_digest, res);
}
