/* Decryption for the core's crypto port (ota/crypto.h) through PSA Crypto:
 * keys in PSA's key store, RSA unwrap, ECDH, HKDF and a streaming AES-GCM
 * operation that the port allocates (the core keeps only its handle). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/pk.h"
#include "psa/crypto.h"
#include "sdkconfig.h"
#include "soc/soc_caps.h"
#if SOC_HMAC_SUPPORTED
#include "esp_efuse.h"
#include "esp_hmac.h"
#endif

#include "ota/crypto.h"
#include "ota/error.h"
#include "ota/idf_decrypt.h"

static const uint8_t hmac_salt[32] = {0x0e, 0x21, 0x60, 0x64, 0x2d, 0xae, 0x76, 0xd3, 0x34, 0x48, 0xe4,
                                      0x3d, 0x77, 0x20, 0x12, 0x3d, 0x9f, 0x3b, 0x1e, 0xce, 0xb8, 0x8e,
                                      0x57, 0x3a, 0x4e, 0x8f, 0x7f, 0xb9, 0x4f, 0xf0, 0xc8, 0x69};

/* RSA keys unwrap with PKCS#1 v1.5 (esp_encrypted_img); P-256 keys agree. */
static void key_policy(psa_key_attributes_t *a, enum ota_crypto_key_kind kind)
{
    if (kind == OTA_KEY_RSA3072) {
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_DECRYPT);
        psa_set_key_algorithm(a, PSA_ALG_RSA_PKCS1V15_CRYPT);
    } else {
        psa_set_key_usage_flags(a, PSA_KEY_USAGE_DERIVE);
        psa_set_key_algorithm(a, PSA_ALG_ECDH);
    }
}

int ota_idf_decrypt_key_from_pem(const char *pem, size_t len, struct ota_crypto_key *key)
{
    mbedtls_pk_context pk;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    mbedtls_svc_key_id_t id = MBEDTLS_SVC_KEY_ID_INIT;
    unsigned char *text = malloc(len + 1);  /* the parser wants the PEM NUL-terminated */
    int err = OTA_ERR_DECRYPT_KEY_FILE;
    memset(key, 0, sizeof(*key));
    if (!text || psa_crypto_init() != PSA_SUCCESS) {
        free(text);
        return OTA_ERR_NO_MEM;
    }
    memcpy(text, pem, len);
    text[len] = 0;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_parse_key(&pk, text, len + 1, NULL, 0) == 0 &&
        mbedtls_pk_get_psa_attributes(&pk, PSA_KEY_USAGE_DECRYPT, &a) == 0) {
        psa_key_type_t t = psa_get_key_type(&a);
        size_t bits = psa_get_key_bits(&a);
        key->kind = t == PSA_KEY_TYPE_RSA_KEY_PAIR && bits == 3072                              ? OTA_KEY_RSA3072
                    : t == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) && bits == 256 ? OTA_KEY_P256
                                                                                              : OTA_KEY_NONE;
        if (key->kind != OTA_KEY_NONE) {
            key_policy(&a, key->kind);
            if (mbedtls_pk_import_into_psa(&pk, &a, &id) == 0) {
                key->psa_id = (uint32_t)MBEDTLS_SVC_KEY_ID_GET_KEY_ID(id);
                err = OTA_OK;
            }
        }
    }
    psa_reset_key_attributes(&a);
    mbedtls_pk_free(&pk);
    memset(text, 0, len + 1);
    free(text);
    if (err) {
        key->kind = OTA_KEY_NONE;
    }
    return err;
}

/* The device's P-256 key from its 32-byte scalar (big-endian). */
static int import_p256_scalar(const uint8_t scalar[32], struct ota_crypto_key *key)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id = 0;
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    key_policy(&a, OTA_KEY_P256);
    if (psa_import_key(&a, scalar, 32, &id) != PSA_SUCCESS) {
        return OTA_ERR_DECRYPT_KEY_FILE;
    }
    key->kind = OTA_KEY_P256;
    key->psa_id = id;
    return OTA_OK;
}

int ota_idf_decrypt_key_from_hmac(const uint8_t hmac_key[32], struct ota_crypto_key *key)
{
    psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
    uint8_t scalar[32];
    memset(key, 0, sizeof(*key));
    /* PSA derives ECC keys by its own rule: draw the scalar's bytes, then import them */
    bool ok = psa_crypto_init() == PSA_SUCCESS &&
              psa_key_derivation_setup(&op, PSA_ALG_PBKDF2_HMAC(PSA_ALG_SHA_256)) == PSA_SUCCESS &&
              psa_key_derivation_input_integer(&op, PSA_KEY_DERIVATION_INPUT_COST, 2048) == PSA_SUCCESS &&
              psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SALT, hmac_salt, sizeof(hmac_salt)) ==
                  PSA_SUCCESS &&
              psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_PASSWORD, hmac_key, 32) == PSA_SUCCESS &&
              psa_key_derivation_output_bytes(&op, scalar, sizeof(scalar)) == PSA_SUCCESS;
    psa_key_derivation_abort(&op);
    int err = ok ? import_p256_scalar(scalar, key) : OTA_ERR_DECRYPT_KEY_FILE;
    memset(scalar, 0, sizeof(scalar));
    return err;
}

#if SOC_HMAC_SUPPORTED
/* PBKDF2-HMAC-SHA256 (RFC 8018), one 32-byte block, each HMAC computed by
 * the HMAC peripheral with the eFuse key: the key never leaves its block. */
static int pbkdf2_efuse(hmac_key_id_t id, uint8_t out[32])
{
    uint8_t first[sizeof(hmac_salt) + 4], u[32];
    memcpy(first, hmac_salt, sizeof(hmac_salt));
    memcpy(first + sizeof(hmac_salt), (const uint8_t[4]){0, 0, 0, 1}, 4);  /* block index 1, big-endian */
    if (esp_hmac_calculate(id, first, sizeof(first), u) != ESP_OK) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    memcpy(out, u, sizeof(u));
    for (unsigned i = 1; i < 2048; i++) {
        if (esp_hmac_calculate(id, u, sizeof(u), u) != ESP_OK) {
            memset(u, 0, sizeof(u));
            return OTA_ERR_DECRYPT_CRYPTO;
        }
        for (unsigned k = 0; k < sizeof(u); k++) {
            out[k] ^= u[k];
        }
    }
    memset(u, 0, sizeof(u));
    return OTA_OK;
}
#endif

int ota_idf_decrypt_key_from_efuse_hmac(unsigned key_block, struct ota_crypto_key *key)
{
    memset(key, 0, sizeof(*key));
#if SOC_HMAC_SUPPORTED
    uint8_t scalar[32];
    if (key_block > 5 ||
        esp_efuse_get_key_purpose((esp_efuse_block_t)(EFUSE_BLK_KEY0 + key_block)) != ESP_EFUSE_KEY_PURPOSE_HMAC_UP) {
        return OTA_ERR_DECRYPT_NO_KEY;  /* no HMAC key (purpose HMAC_UP) burned in that block */
    }
    int err = psa_crypto_init() == PSA_SUCCESS ? pbkdf2_efuse((hmac_key_id_t)key_block, scalar) : OTA_ERR_DECRYPT_CRYPTO;
    if (!err) {
        err = import_p256_scalar(scalar, key);
    }
    memset(scalar, 0, sizeof(scalar));
    return err;
#else
    (void)key_block;
    return OTA_ERR_DECRYPT_NO_KEY;  /* this chip has no HMAC peripheral */
#endif
}

int ota_idf_decrypt_key_configured(const char *pem, size_t len, struct ota_crypto_key *key)
{
#if CONFIG_OTA_DECRYPT_KEY_FROM_EFUSE_HMAC
    (void)pem;
    (void)len;
    return ota_idf_decrypt_key_from_efuse_hmac(CONFIG_OTA_DECRYPT_HMAC_KEY_BLOCK, key);
#else
    return ota_idf_decrypt_key_from_pem(pem, len, key);
#endif
}

void ota_idf_decrypt_key_free(struct ota_crypto_key *key)
{
    if (key && key->kind != OTA_KEY_NONE) {
        psa_destroy_key((psa_key_id_t)key->psa_id);
        key->kind = OTA_KEY_NONE;
    }
}

enum ota_crypto_key_kind ota_crypto_key_kind(const struct ota_crypto_key *key)
{
    return key ? key->kind : OTA_KEY_NONE;
}

int ota_crypto_rsa3072_unwrap(const struct ota_crypto_key *key, enum ota_rsa_padding pad, const uint8_t wrapped[384],
                              uint8_t out[32])
{
    uint8_t plain[384];
    size_t n = 0;
    if (ota_crypto_key_kind(key) != OTA_KEY_RSA3072 || pad != OTA_RSA_PKCS1_V15) {
        return OTA_ERR_DECRYPT_KEY;  /* this port's RSA keys unwrap PKCS#1 v1.5 only */
    }
    psa_status_t st = psa_asymmetric_decrypt((psa_key_id_t)key->psa_id, PSA_ALG_RSA_PKCS1V15_CRYPT, wrapped, 384,
                                             NULL, 0, plain, sizeof(plain), &n);
    if (st != PSA_SUCCESS || n != 32) {
        return OTA_ERR_DECRYPT_KEY;
    }
    memcpy(out, plain, 32);
    memset(plain, 0, sizeof(plain));
    return OTA_OK;
}

int ota_crypto_ecdh_p256(const struct ota_crypto_key *key, const uint8_t peer_xy[64], uint8_t shared_x[32])
{
    uint8_t point[65] = {0x04};
    size_t n = 0;
    if (ota_crypto_key_kind(key) != OTA_KEY_P256) {
        return OTA_ERR_DECRYPT_KEY;
    }
    memcpy(point + 1, peer_xy, 64);
    psa_status_t st =
        psa_raw_key_agreement(PSA_ALG_ECDH, (psa_key_id_t)key->psa_id, point, sizeof(point), shared_x, 32, &n);
    return st == PSA_SUCCESS && n == 32 ? OTA_OK : OTA_ERR_DECRYPT_KEY;
}

int ota_crypto_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                           const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
    bool ok = psa_key_derivation_setup(&op, PSA_ALG_HKDF(PSA_ALG_SHA_256)) == PSA_SUCCESS &&
              psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SALT, salt, salt_len) == PSA_SUCCESS &&
              psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SECRET, ikm, ikm_len) == PSA_SUCCESS &&
              psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_INFO, info, info_len) == PSA_SUCCESS &&
              psa_key_derivation_output_bytes(&op, out, out_len) == PSA_SUCCESS;
    psa_key_derivation_abort(&op);
    return ok ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

/* ---- AES-256-GCM, streaming ------------------------------------------------- */

struct gcm_state {
    psa_aead_operation_t *op;  /* on the heap: its size is the library's business */
    psa_key_id_t key;
};
_Static_assert(sizeof(struct gcm_state) <= sizeof(ota_gcm_ctx), "ota_gcm_ctx too small");

int ota_gcm_decrypt_begin(ota_gcm_ctx *ctx, const uint8_t key[32], const uint8_t *iv, size_t iv_len,
                          const uint8_t *aad, size_t aad_len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    memset(g, 0, sizeof(*g));
    if (!(g->op = calloc(1, sizeof(*g->op)))) {
        return OTA_ERR_NO_MEM;
    }
    *g->op = psa_aead_operation_init();
    psa_set_key_type(&a, PSA_KEY_TYPE_AES);
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_DECRYPT);
    psa_set_key_algorithm(&a, PSA_ALG_GCM);
    bool ok = psa_crypto_init() == PSA_SUCCESS && psa_import_key(&a, key, 32, &g->key) == PSA_SUCCESS &&
              psa_aead_decrypt_setup(g->op, g->key, PSA_ALG_GCM) == PSA_SUCCESS &&
              psa_aead_set_nonce(g->op, iv, iv_len) == PSA_SUCCESS &&
              (!aad_len || psa_aead_update_ad(g->op, aad, aad_len) == PSA_SUCCESS);
    if (!ok) {
        ota_gcm_free(ctx);
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    return OTA_OK;
}

int ota_gcm_decrypt_update(ota_gcm_ctx *ctx, const uint8_t *in, uint8_t *out, size_t len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    size_t n = 0;
    /* GCM is a stream mode: PSA's GCM gives out as many bytes as it takes */
    psa_status_t st = psa_aead_update(g->op, in, len, out, len, &n);
    return st == PSA_SUCCESS && n == len ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

int ota_gcm_decrypt_finish(ota_gcm_ctx *ctx, const uint8_t tag[16])
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    uint8_t rest[16];
    size_t n = 0;
    psa_status_t st = psa_aead_verify(g->op, rest, sizeof(rest), &n, tag, 16);
    if (st == PSA_ERROR_INVALID_SIGNATURE) {
        return OTA_ERR_DECRYPT_TAG;
    }
    return st == PSA_SUCCESS && n == 0 ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

int ota_gcm_decrypt_restart(ota_gcm_ctx *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    psa_aead_abort(g->op);  /* the imported key stays */
    bool ok = psa_aead_decrypt_setup(g->op, g->key, PSA_ALG_GCM) == PSA_SUCCESS &&
              psa_aead_set_nonce(g->op, iv, iv_len) == PSA_SUCCESS &&
              (!aad_len || psa_aead_update_ad(g->op, aad, aad_len) == PSA_SUCCESS);
    return ok ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

void ota_gcm_free(ota_gcm_ctx *ctx)
{
    struct gcm_state *g = (struct gcm_state *)ctx->opaque;
    if (g->op) {
        psa_aead_abort(g->op);
        free(g->op);
        g->op = NULL;
    }
    if (g->key) {
        psa_destroy_key(g->key);
        g->key = 0;
    }
}
