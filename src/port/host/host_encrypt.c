/* esp_encrypted_img images made on the host, with mbedTLS (docs/encryption.md). */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "ota/decrypt.h"
#include "ota/error.h"
#include "ota/host_encrypt.h"

struct enc {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context pub;
};

static int enc_open(struct enc *e, const char *pub_pem, enum ota_crypto_key_kind *kind)
{
    mbedtls_entropy_init(&e->entropy);
    mbedtls_ctr_drbg_init(&e->drbg);
    mbedtls_pk_init(&e->pub);
    if (mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->entropy, (const unsigned char *)"ota-enc", 7)) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    if (mbedtls_pk_parse_public_keyfile(&e->pub, pub_pem)) {
        return OTA_ERR_DECRYPT_KEY_FILE;
    }
    if (mbedtls_pk_get_type(&e->pub) == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&e->pub) == 3072) {
        *kind = OTA_KEY_RSA3072;
    } else if (mbedtls_pk_get_type(&e->pub) == MBEDTLS_PK_ECKEY &&
               mbedtls_pk_ec(e->pub)->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
        *kind = OTA_KEY_P256;
    } else {
        return OTA_ERR_DECRYPT_KEY_FILE;
    }
    return OTA_OK;
}

static void enc_close(struct enc *e)
{
    mbedtls_pk_free(&e->pub);
    mbedtls_ctr_drbg_free(&e->drbg);
    mbedtls_entropy_free(&e->entropy);
}

int ota_host_encrypt_pub_kind(const char *pub_pem, enum ota_crypto_key_kind *kind)
{
    struct enc e;
    int err = enc_open(&e, pub_pem, kind);
    enc_close(&e);
    return err;
}

static int rsa_wrap(struct enc *e, const uint8_t key[32], uint8_t wrapped[384])
{
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(e->pub);
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
    return mbedtls_rsa_pkcs1_encrypt(rsa, mbedtls_ctr_drbg_random, &e->drbg, MBEDTLS_RSA_PUBLIC, 32, key, wrapped)
               ? OTA_ERR_DECRYPT_CRYPTO
               : OTA_OK;
}

/* An ephemeral P-256 key: its public point and salt go in the header; the
 * GCM key is HKDF(ECDH with the device's public key, info). */
static int ecc_wrap_info(struct enc *e, uint8_t key[32], uint8_t wrapped[384], const char *info)
{
    const mbedtls_ecp_keypair *dev = mbedtls_pk_ec(e->pub);
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    uint8_t point[65], shared[32];
    size_t plen = 0;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);
    int ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
             mbedtls_ecdh_gen_public(&grp, &d, &q, mbedtls_ctr_drbg_random, &e->drbg) == 0 &&
             mbedtls_ecdh_compute_shared(&grp, &z, &dev->Q, &d, mbedtls_ctr_drbg_random, &e->drbg) == 0 &&
             mbedtls_mpi_write_binary(&z, shared, 32) == 0 &&
             mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &plen, point, sizeof(point)) == 0 &&
             plen == 65 && mbedtls_ctr_drbg_random(&e->drbg, wrapped + 64, 32) == 0 &&
             mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), wrapped + 64, 32, shared, 32,
                          (const unsigned char *)info, strlen(info), key, 32) == 0;
    if (ok) {
        memcpy(wrapped, point + 1, 64);
    }
    mbedtls_mpi_free(&z);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    memset(shared, 0, sizeof(shared));
    return ok ? OTA_OK : OTA_ERR_DECRYPT_CRYPTO;
}

static int ecc_wrap(struct enc *e, uint8_t key[32], uint8_t wrapped[384])
{
    return ecc_wrap_info(e, key, wrapped, "_esp_enc_img_ecc");
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int seal(struct enc *e, const uint8_t key[32], const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t *h = out;
    mbedtls_gcm_context gcm;
    put32(h, OTA_ESP_ENC_MAGIC);
    put32(h + 404, (uint32_t)len);
    if (mbedtls_ctr_drbg_random(&e->drbg, h + 388, OTA_ESP_ENC_IV_LEN)) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    mbedtls_gcm_init(&gcm);
    int ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) ||
              mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, h + 388, OTA_ESP_ENC_IV_LEN, NULL, 0, in,
                                        out + OTA_ESP_ENC_HEADER_LEN, OTA_ESP_ENC_TAG_LEN, h + 408);
    mbedtls_gcm_free(&gcm);
    return ret ? OTA_ERR_DECRYPT_CRYPTO : OTA_OK;
}

int ota_host_encrypt_esp(const uint8_t *in, size_t len, const char *pub_pem, uint8_t **out, size_t *out_len)
{
    struct enc e;
    enum ota_crypto_key_kind kind = OTA_KEY_NONE;
    uint8_t key[32];
    uint8_t *buf = NULL;
    int err = enc_open(&e, pub_pem, &kind);
    if (!err && (!len || len > UINT32_MAX)) {
        err = OTA_ERR_INVALID_ARG;
    }
    if (!err && !(buf = calloc(1, OTA_ESP_ENC_HEADER_LEN + len))) {
        err = OTA_ERR_NO_MEM;
    }
    if (!err && mbedtls_ctr_drbg_random(&e.drbg, key, sizeof(key))) {
        err = OTA_ERR_DECRYPT_CRYPTO;
    }
    if (!err) {
        err = kind == OTA_KEY_RSA3072 ? rsa_wrap(&e, key, buf + 4) : ecc_wrap(&e, key, buf + 4);
    }
    if (!err) {
        err = seal(&e, key, in, len, buf);
    }
    memset(key, 0, sizeof(key));
    enc_close(&e);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = OTA_ESP_ENC_HEADER_LEN + len;
    return OTA_OK;
}

/* ---- our chunked format ------------------------------------------------------ */

static int rsa_oaep_wrap(struct enc *e, const uint8_t key[32], uint8_t wrapped[384])
{
    mbedtls_rsa_context *rsa = mbedtls_pk_rsa(e->pub);
    mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    return mbedtls_rsa_pkcs1_encrypt(rsa, mbedtls_ctr_drbg_random, &e->drbg, MBEDTLS_RSA_PUBLIC, 32, key, wrapped)
               ? OTA_ERR_DECRYPT_CRYPTO
               : OTA_OK;
}

static int gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) ||
              mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, aad_len, in, out, 16, tag);
    mbedtls_gcm_free(&gcm);
    return ret ? OTA_ERR_DECRYPT_CRYPTO : OTA_OK;
}

/* The header: fields, the wrapped key, then its tag over the rest. */
static int chunked_header(struct enc *e, enum ota_crypto_key_kind kind, const uint8_t *in, size_t len,
                          unsigned chunk_log2, const uint8_t key[32], uint8_t *h)
{
    struct ota_chunked_header view;
    uint8_t nonce[12];
    put32(h, OTA_CHUNKED_MAGIC);
    h[4] = OTA_CHUNKED_VERSION;
    h[5] = kind == OTA_KEY_RSA3072 ? OTA_WRAP_RSA_OAEP_3072 : OTA_WRAP_ECIES_P256;
    h[6] = (uint8_t)chunk_log2;
    put32(h + 8, (uint32_t)len);
    mbedtls_sha256_ret(in, len, h + 12, 0);
    if (mbedtls_ctr_drbg_random(&e->drbg, h + 44, 8)) {
        return OTA_ERR_DECRYPT_CRYPTO;
    }
    view.nonce_prefix = h + 44;
    ota_chunked_nonce(&view, 0xffffffffu, nonce);
    return gcm_seal(key, nonce, h, 496, NULL, 0, NULL, h + 496);
}

static int chunked_body(const uint8_t *h, const uint8_t *in, size_t len, size_t chunk, const uint8_t key[32],
                        uint8_t *out)
{
    struct ota_chunked_header view = {.nonce_prefix = h + 44};
    uint8_t digest[32], nonce[12], aad[37];
    uint32_t count = (uint32_t)((len + chunk - 1) / chunk);
    mbedtls_sha256_ret(h, OTA_CHUNKED_HEADER_LEN, digest, 0);
    for (uint32_t i = 0; i < count; i++) {
        size_t n = len - (size_t)i * chunk < chunk ? len - (size_t)i * chunk : chunk;
        ota_chunked_nonce(&view, i, nonce);
        ota_chunked_aad(digest, i, i + 1 == count, aad);
        if (gcm_seal(key, nonce, aad, sizeof(aad), in + (size_t)i * chunk, n, out, out + n)) {
            return OTA_ERR_DECRYPT_CRYPTO;
        }
        out += n + OTA_CHUNKED_TAG_LEN;
    }
    return OTA_OK;
}

int ota_host_encrypt_chunked(const uint8_t *in, size_t len, const char *pub_pem, unsigned chunk_log2, uint8_t **out,
                             size_t *out_len)
{
    struct enc e;
    enum ota_crypto_key_kind kind = OTA_KEY_NONE;
    uint8_t key[32];
    uint8_t *buf = NULL;
    size_t chunk = (size_t)1 << chunk_log2;
    size_t total = OTA_CHUNKED_HEADER_LEN + len + OTA_CHUNKED_TAG_LEN * ((len + chunk - 1) / chunk);
    int err = enc_open(&e, pub_pem, &kind);
    if (!err && (!len || len > UINT32_MAX || chunk_log2 < 9 || chunk_log2 > 12)) {
        err = OTA_ERR_INVALID_ARG;
    }
    if (!err && !(buf = calloc(1, total))) {
        err = OTA_ERR_NO_MEM;
    }
    if (!err && mbedtls_ctr_drbg_random(&e.drbg, key, sizeof(key))) {
        err = OTA_ERR_DECRYPT_CRYPTO;
    }
    if (!err) {
        err = kind == OTA_KEY_RSA3072 ? rsa_oaep_wrap(&e, key, buf + 52)
                                      : ecc_wrap_info(&e, key, buf + 52, "ota chunked v1 ecies p256");
    }
    if (!err && !(err = chunked_header(&e, kind, in, len, chunk_log2, key, buf))) {
        err = chunked_body(buf, in, len, chunk, key, buf + OTA_CHUNKED_HEADER_LEN);
    }
    memset(key, 0, sizeof(key));
    enc_close(&e);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = total;
    return OTA_OK;
}
