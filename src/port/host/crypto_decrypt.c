/* Decryption for the core's crypto port (ota/crypto.h) and the device key
 * files (ota/host_decrypt.h): keys, RSA and ECDH on mbedTLS; AES-GCM on
 * OpenSSL's libcrypto, which streams any length (mbedTLS 2.x wants 16-byte
 * multiples until the last call). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/rsa.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ota/crypto.h"
#include "ota/error.h"
#include "ota/host_decrypt.h"

#define KEY_FILE_MAX 16384

struct ota_crypto_key {
    enum ota_crypto_key_kind kind;
    mbedtls_pk_context pk;
};

/* esp_encrypted_img's fixed PBKDF2 salt for the device key. */
static const uint8_t hmac_salt[32] = {0x0e, 0x21, 0x60, 0x64, 0x2d, 0xae, 0x76, 0xd3, 0x34, 0x48, 0xe4,
                                      0x3d, 0x77, 0x20, 0x12, 0x3d, 0x9f, 0x3b, 0x1e, 0xce, 0xb8, 0x8e,
                                      0x57, 0x3a, 0x4e, 0x8f, 0x7f, 0xb9, 0x4f, 0xf0, 0xc8, 0x69};

/* One random source per operation (RSA blinding, ECDH): keys are used
 * once per image, so the seeding cost does not matter. */
struct rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

static int rng_open(struct rng *r)
{
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy, (const unsigned char *)"ota-dec", 7);
}

static void rng_close(struct rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

static struct ota_crypto_key *key_new(void)
{
    struct ota_crypto_key *k = calloc(1, sizeof(*k));
    if (k) {
        mbedtls_pk_init(&k->pk);
    }
    return k;
}

void ota_host_decrypt_key_free(struct ota_crypto_key *key)
{
    if (key) {
        mbedtls_pk_free(&key->pk);
        free(key);
    }
}

static enum ota_crypto_key_kind kind_of(const mbedtls_pk_context *pk)
{
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(pk) == 3072) {
        return OTA_KEY_RSA3072;
    }
    if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY && mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
        return OTA_KEY_P256;
    }
    return OTA_KEY_NONE;
}

int ota_host_decrypt_key_from_hmac(const uint8_t hmac_key[32], struct ota_crypto_key **out)
{
    uint8_t scalar[32];
    struct ota_crypto_key *k = key_new();
    mbedtls_md_context_t md;
    struct rng r;
    int ok;
    if (!k) {
        return OTA_ERR_NO_MEM;
    }
    mbedtls_md_init(&md);
    ok = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
         mbedtls_pkcs5_pbkdf2_hmac(&md, hmac_key, 32, hmac_salt, sizeof(hmac_salt), 2048, 32, scalar) == 0;
    mbedtls_md_free(&md);
    ok = ok && rng_open(&r) == 0;
    if (ok) {
        mbedtls_ecp_keypair *ec;
        ok = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
             (ec = mbedtls_pk_ec(k->pk)) && mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
             mbedtls_mpi_read_binary(&ec->d, scalar, sizeof(scalar)) == 0 &&
             mbedtls_ecp_check_privkey(&ec->grp, &ec->d) == 0 &&
             mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G, mbedtls_ctr_drbg_random, &r.drbg) == 0;
        rng_close(&r);
    }
    memset(scalar, 0, sizeof(scalar));
    if (!ok) {
        ota_host_decrypt_key_free(k);
        return OTA_ERR_DECRYPT_KEY_FILE;
    }
    k->kind = OTA_KEY_P256;
    *out = k;
    return OTA_OK;
}

static int read_key_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return OTA_ERR_DECRYPT_KEY_FILE;
    }
    *len = fread(buf, 1, cap, f);
    int bad = ferror(f) || *len == cap;  /* unreadable, or longer than any key file */
    fclose(f);
    return bad ? OTA_ERR_DECRYPT_KEY_FILE : OTA_OK;
}

int ota_host_decrypt_key_load(const char *path, struct ota_crypto_key **out)
{
    static uint8_t buf[KEY_FILE_MAX + 1];  /* the tool loads one key, once, before any thread */
    size_t len = 0;
    int err = read_key_file(path, buf, KEY_FILE_MAX, &len);
    *out = NULL;
    if (err) {
        return err;
    }
    if (len == 32 && memcmp(buf, "-----", 5) != 0) {
        err = ota_host_decrypt_key_from_hmac(buf, out);
        memset(buf, 0, sizeof(buf));
        return err;
    }
    struct ota_crypto_key *k = key_new();
    if (!k) {
        return OTA_ERR_NO_MEM;
    }
    buf[len] = 0;
    if (mbedtls_pk_parse_key(&k->pk, buf, len + 1, NULL, 0) != 0 || (k->kind = kind_of(&k->pk)) == OTA_KEY_NONE) {
        ota_host_decrypt_key_free(k);
        err = OTA_ERR_DECRYPT_KEY_FILE;
    } else {
        *out = k;
    }
    memset(buf, 0, sizeof(buf));
    return err;
}

enum ota_crypto_key_kind ota_crypto_key_kind(const struct ota_crypto_key *key)
{
    return key ? key->kind : OTA_KEY_NONE;
}

int ota_crypto_rsa3072_unwrap(const struct ota_crypto_key *key, enum ota_rsa_padding pad, const uint8_t wrapped[384],
                              uint8_t out[32])
{
    struct rng r;
    size_t olen = 0;
    if (ota_crypto_key_kind(key) != OTA_KEY_RSA3072) {
        return OTA_ERR_DECRYPT_KEY;
    }
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(key->pk);
    if (pad == OTA_RSA_OAEP_SHA256) {
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    } else {
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    }
    if (rng_open(&r)) {
        rng_close(&r);
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    int ret = mbedtls_rsa_pkcs1_decrypt(rsa, mbedtls_ctr_drbg_random, &r.drbg, MBEDTLS_RSA_PRIVATE, &olen, wrapped,
                                        out, 32);
    rng_close(&r);
    return ret || olen != 32 ? OTA_ERR_DECRYPT_KEY : OTA_OK;
}

int ota_crypto_ecdh_p256(const struct ota_crypto_key *key, const uint8_t peer_xy[64], uint8_t shared_x[32])
{
    uint8_t point[65] = {0x04};
    mbedtls_ecp_point peer;
    mbedtls_mpi z;
    struct rng r;
    int err = OTA_ERR_DECRYPT_KEY;
    if (ota_crypto_key_kind(key) != OTA_KEY_P256) {
        return OTA_ERR_DECRYPT_KEY;
    }
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
    memcpy(point + 1, peer_xy, 64);
    mbedtls_ecp_point_init(&peer);
    mbedtls_mpi_init(&z);
    if (rng_open(&r) == 0 && mbedtls_ecp_point_read_binary(&ec->grp, &peer, point, sizeof(point)) == 0 &&
        mbedtls_ecp_check_pubkey(&ec->grp, &peer) == 0) {
        /* compute_shared takes a non-const group; it only reads it */
        mbedtls_ecp_group *grp = (mbedtls_ecp_group *)&ec->grp;
        err = mbedtls_ecdh_compute_shared(grp, &z, &peer, &ec->d, mbedtls_ctr_drbg_random, &r.drbg) == 0 &&
                      mbedtls_mpi_write_binary(&z, shared_x, 32) == 0
                  ? OTA_OK
                  : OTA_ERR_DECRYPT_CRYPTO;
    }
    rng_close(&r);
    mbedtls_mpi_free(&z);
    mbedtls_ecp_point_free(&peer);
    return err;
}

int ota_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                           const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm, ikm_len, info, info_len,
                        out, out_len)
               ? OTA_ERR_DECRYPT_CRYPTO
               : OTA_OK;
}

/* ---- AES-256-GCM, streaming -------------------------------------------------- */

struct gcm_state {
    EVP_CIPHER_CTX *evp;
};
_Static_assert(sizeof(struct gcm_state) <= sizeof(ota_gcm_ctx), "ota_gcm_ctx too small");

int ota_gcm_decrypt_begin(ota_gcm_ctx *ctx, const uint8_t key[32], const uint8_t *iv, size_t iv_len,
                          const uint8_t *aad, size_t aad_len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    int n = 0;
    if (!(g->evp = EVP_CIPHER_CTX_new())) {
        return OTA_ERR_NO_MEM;
    }
    int ok = EVP_DecryptInit_ex(g->evp, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) == 1 &&
             EVP_DecryptInit_ex(g->evp, NULL, NULL, key, iv) == 1 &&
             (!aad_len || EVP_DecryptUpdate(g->evp, NULL, &n, aad, (int)aad_len) == 1);
    if (!ok) {
        ota_gcm_free(ctx);
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    return OTA_OK;
}

int ota_gcm_decrypt_update(ota_gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    int n = 0;
    if (len > (size_t)0x7fffffff || EVP_DecryptUpdate(g->evp, out, &n, in, (int)len) != 1 || (size_t)n != len) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    return OTA_OK;
}

int ota_gcm_decrypt_finish(ota_gcm_ctx *ctx, const uint8_t tag[16])
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    uint8_t t[16], rest[16];
    int n = 0;
    memcpy(t, tag, sizeof(t));
    if (EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_SET_TAG, 16, t) != 1) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    return EVP_DecryptFinal_ex(g->evp, rest, &n) == 1 ? OTA_OK : OTA_ERR_DECRYPT_TAG;
}

int ota_gcm_decrypt_restart(ota_gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    int n = 0;
    /* the key schedule stays: only the IV (and the AAD) are new */
    bool ok = EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) == 1 &&
              EVP_DecryptInit_ex(g->evp, NULL, NULL, NULL, iv) == 1 &&
              (!aad_len || EVP_DecryptUpdate(g->evp, NULL, &n, aad, (int)aad_len) == 1);
    return ok ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

void ota_gcm_free(ota_gcm_ctx *ctx)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    EVP_CIPHER_CTX_free(g->evp);
    g->evp = NULL;
}
