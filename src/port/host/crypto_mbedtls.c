/* Signature verification (the core's crypto port) and signing (host tool), on mbedTLS. */
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include "ota/crypto.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/host_sign.h"
#include "ota/signature.h"

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[n - 1 - i];
    }
}

static void rsa_init_pss(mbedtls_rsa_context *rsa)
{
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_rsa_init(rsa);
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#else
    mbedtls_rsa_init(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#endif
}

int ota_crypto_rsa3072_pss_verify(const uint8_t n_le[384], uint32_t e, const uint8_t digest[32],
                                  const uint8_t sig_le[384])
{
    uint8_t n_be[384], sig_be[384], e_be[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    mbedtls_rsa_context rsa;
    int ret;
    reverse(n_be, n_le, sizeof(n_be));
    reverse(sig_be, sig_le, sizeof(sig_be));
    rsa_init_pss(&rsa);
    ret = mbedtls_rsa_import_raw(&rsa, n_be, sizeof(n_be), NULL, 0, NULL, 0, NULL, 0, e_be, sizeof(e_be));
    if (ret || mbedtls_rsa_complete(&rsa) || mbedtls_rsa_get_len(&rsa) != 384) {
        mbedtls_rsa_free(&rsa);
        return OTA_ERR_SIG_KEY;
    }
#if MBEDTLS_VERSION_MAJOR >= 3
    ret = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, MBEDTLS_MD_SHA256, 32, digest, MBEDTLS_MD_SHA256, 32, sig_be);
#else
    ret = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, digest,
                                            MBEDTLS_MD_SHA256, 32, sig_be);
#endif
    mbedtls_rsa_free(&rsa);
    return ret ? OTA_ERR_SIG_INVALID : OTA_OK;
}

int ota_crypto_ecdsa_p256_verify(const uint8_t x_le[32], const uint8_t y_le[32], const uint8_t digest[32],
                                 const uint8_t r_le[32], const uint8_t s_le[32])
{
    uint8_t be[32];
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int err = OTA_ERR_SIG_KEY;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0) {
        int ok = 1;
        reverse(be, x_le, 32);
        ok &= mbedtls_mpi_read_binary(&q.X, be, 32) == 0;
        reverse(be, y_le, 32);
        ok &= mbedtls_mpi_read_binary(&q.Y, be, 32) == 0;
        ok &= mbedtls_mpi_lset(&q.Z, 1) == 0;
        reverse(be, r_le, 32);
        ok &= mbedtls_mpi_read_binary(&r, be, 32) == 0;
        reverse(be, s_le, 32);
        ok &= mbedtls_mpi_read_binary(&s, be, 32) == 0;
        if (ok && mbedtls_ecp_check_pubkey(&grp, &q) == 0) {
            err = mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s) == 0 ? OTA_OK : OTA_ERR_SIG_INVALID;
        }
    }
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return err;
}

/* ---- host tooling ------------------------------------------------------------- */

static int write_le(const mbedtls_mpi *x, uint8_t *le, size_t n)
{
    uint8_t be[384];
    if (n > sizeof(be) || mbedtls_mpi_write_binary(x, be, n)) {
        return OTA_ERR_SIG_KEY;
    }
    reverse(le, be, n);
    return OTA_OK;
}

/* n, e, rinv = 2^6144 mod n, mdash = -n^-1 mod 2^32, as the ROM wants them. */
static int rsa_public_fields(const mbedtls_rsa_context *rsa, struct ota_sig_block *b)
{
    mbedtls_mpi n, e, rinv;
    int err = OTA_ERR_SIG_KEY;
    mbedtls_mpi_init(&n);
    mbedtls_mpi_init(&e);
    mbedtls_mpi_init(&rinv);
    if (mbedtls_rsa_get_len(rsa) == 384 && !mbedtls_rsa_export(rsa, &n, NULL, NULL, NULL, &e) &&
        !mbedtls_mpi_lset(&rinv, 1) && !mbedtls_mpi_shift_l(&rinv, 6144) && !mbedtls_mpi_mod_mpi(&rinv, &rinv, &n) &&
        !write_le(&n, b->rsa_n, 384) && !write_le(&rinv, b->rsa_rinv, 384)) {
        uint8_t e_le[4];
        if (!write_le(&e, e_le, 4)) {
            b->rsa_e = (uint32_t)e_le[0] | ((uint32_t)e_le[1] << 8) | ((uint32_t)e_le[2] << 16) | ((uint32_t)e_le[3] << 24);
            uint32_t n0 = (uint32_t)b->rsa_n[0] | ((uint32_t)b->rsa_n[1] << 8) | ((uint32_t)b->rsa_n[2] << 16) |
                          ((uint32_t)b->rsa_n[3] << 24);
            uint32_t inv = n0;  /* Newton: each step doubles the correct low bits (n odd) */
            for (int i = 0; i < 5; i++) {
                inv *= 2u - n0 * inv;
            }
            b->rsa_mdash = 0u - inv;
            err = OTA_OK;
        }
    }
    mbedtls_mpi_free(&rinv);
    mbedtls_mpi_free(&e);
    mbedtls_mpi_free(&n);
    return err;
}

static int ec_public_fields(const mbedtls_ecp_keypair *ec, struct ota_sig_block *b)
{
    if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        return OTA_ERR_SIG_KEY;
    }
    b->curve = OTA_SIG_CURVE_P256;
    b->sha_type = 0;
    if (write_le(&ec->Q.X, b->ec_x, 32) || write_le(&ec->Q.Y, b->ec_y, 32)) {
        return OTA_ERR_SIG_KEY;
    }
    return OTA_OK;
}

/* Public fields of the key into b (version set); fills the key digest too. */
static int key_fields(mbedtls_pk_context *pk, struct ota_sig_block *b)
{
    uint8_t raw[OTA_SIG_BLOCK_LEN];
    int err;
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA) {
        b->version = OTA_SIG_VERSION_RSA;
        err = rsa_public_fields(mbedtls_pk_rsa(*pk), b);
    } else if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY) {
        b->version = OTA_SIG_VERSION_ECDSA;
        err = ec_public_fields(mbedtls_pk_ec(*pk), b);
    } else {
        err = OTA_ERR_SIG_KEY;
    }
    if (!err) {
        struct ota_sig_block decoded;
        ota_sig_block_encode(b, raw);
        ota_sig_block_decode(raw, &decoded);
        memcpy(b->key_digest, decoded.key_digest, sizeof(b->key_digest));
    }
    return err;
}

static int parse_key(mbedtls_pk_context *pk, const char *path, bool *is_private)
{
    mbedtls_pk_init(pk);
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
    int ret = mbedtls_pk_parse_keyfile(pk, path, NULL, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
#else
    int ret = mbedtls_pk_parse_keyfile(pk, path, NULL);
#endif
    *is_private = ret == 0;
    if (ret != 0) {
        ret = mbedtls_pk_parse_public_keyfile(pk, path);
    }
    return ret ? OTA_ERR_SIG_KEY : OTA_OK;
}

int ota_host_key_scheme(const char *pem_path, unsigned *version)
{
    mbedtls_pk_context pk;
    struct ota_sig_block b;
    bool priv;
    memset(&b, 0, sizeof(b));
    int err = parse_key(&pk, pem_path, &priv);
    if (!err) {
        err = key_fields(&pk, &b);
    }
    *version = b.version;
    mbedtls_pk_free(&pk);
    return err;
}

int ota_host_key_digest(const char *pem_path, uint8_t digest[32])
{
    mbedtls_pk_context pk;
    struct ota_sig_block b;
    bool priv;
    memset(&b, 0, sizeof(b));
    int err = parse_key(&pk, pem_path, &priv);
    if (!err) {
        err = key_fields(&pk, &b);
    }
    if (!err) {
        memcpy(digest, b.key_digest, 32);
    }
    mbedtls_pk_free(&pk);
    return err;
}

/* Deterministic mode: the DRBG's "entropy" is the image digest. */
static int digest_entropy(void *ctx, unsigned char *out, size_t len)
{
    const uint8_t *d = ctx;
    for (size_t i = 0; i < len; i++) {
        out[i] = d[i % 32];
    }
    return 0;
}

int ota_host_sign(const uint8_t *image, size_t image_len, const char *key_pem_path, bool deterministic,
                  ota_emit_fn emit, void *ctx)
{
    static uint8_t sector[OTA_SIG_SECTOR_LEN];
    uint8_t ff[256];
    struct ota_sig_block b;
    mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    ota_sha256_ctx sha;
    bool priv;
    int err;

    memset(&b, 0, sizeof(b));
    memset(ff, 0xFF, sizeof(ff));
    uint32_t padded = ota_sig_sector_offset((uint32_t)image_len);
    ota_sha256_init(&sha);
    ota_sha256_update(&sha, image, image_len);
    for (uint32_t k = (uint32_t)image_len; k < padded;) {
        uint32_t n = padded - k < sizeof(ff) ? padded - k : (uint32_t)sizeof(ff);
        ota_sha256_update(&sha, ff, n);
        k += n;
    }
    ota_sha256_finish(&sha, b.image_digest);

    if ((err = parse_key(&pk, key_pem_path, &priv)) || !priv) {
        mbedtls_pk_free(&pk);
        return OTA_ERR_SIG_KEY;
    }
    if ((err = key_fields(&pk, &b))) {
        mbedtls_pk_free(&pk);
        return err;
    }
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    int ret = deterministic ? mbedtls_ctr_drbg_seed(&drbg, digest_entropy, b.image_digest, NULL, 0)
                            : mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
    if (!ret && b.version == OTA_SIG_VERSION_RSA) {
        uint8_t sig_be[384];
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
#if MBEDTLS_VERSION_MAJOR >= 3
        ret = mbedtls_rsa_rsassa_pss_sign(rsa, mbedtls_ctr_drbg_random, &drbg, MBEDTLS_MD_SHA256, 32, b.image_digest,
                                          sig_be);
#else
        ret = mbedtls_rsa_rsassa_pss_sign(rsa, mbedtls_ctr_drbg_random, &drbg, MBEDTLS_RSA_PRIVATE, MBEDTLS_MD_SHA256,
                                          32, b.image_digest, sig_be);
#endif
        reverse(b.rsa_sig, sig_be, sizeof(sig_be));
    } else if (!ret) {
        mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
        mbedtls_mpi r, s;
        mbedtls_mpi_init(&r);
        mbedtls_mpi_init(&s);
        ret = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, b.image_digest, 32, MBEDTLS_MD_SHA256,
                                         mbedtls_ctr_drbg_random, &drbg);
        if (!ret && (write_le(&r, b.ec_r, 32) || write_le(&s, b.ec_s, 32))) {
            ret = -1;
        }
        mbedtls_mpi_free(&s);
        mbedtls_mpi_free(&r);
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    mbedtls_pk_free(&pk);
    if (ret) {
        return OTA_ERR_SIG_KEY;
    }
    memset(sector, 0xFF, sizeof(sector));
    ota_sig_block_encode(&b, sector);
    if ((err = emit(ctx, image, image_len))) {
        return err;
    }
    for (uint32_t k = (uint32_t)image_len; k < padded;) {
        uint32_t n = padded - k < sizeof(ff) ? padded - k : (uint32_t)sizeof(ff);
        if ((err = emit(ctx, ff, n))) {
            return err;
        }
        k += n;
    }
    return emit(ctx, sector, sizeof(sector));
}
