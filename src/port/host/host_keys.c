/* Signing keys as espsecure.py makes them: generate_signing_key --version 2
 * --scheme rsa3072|ecdsa256|ecdsa384, and the public half of a key. PEM. */
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>

#include "ota/error.h"
#include "ota/host_sign.h"

static int generate(mbedtls_pk_context *pk, enum ota_key_scheme scheme, mbedtls_ctr_drbg_context *drbg)
{
    if (scheme == OTA_SIGN_KEY_RSA3072) {
        return mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) ||
               mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_ctr_drbg_random, drbg, 3072, 65537);
    }
    mbedtls_ecp_group_id curve = scheme == OTA_SIGN_KEY_ECDSA256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1;
    return mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
           mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random, drbg);
}

int ota_host_key_new(enum ota_key_scheme scheme, char *pem, size_t cap)
{
    mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)"ota key", 7);
    if (!ret) {
        ret = generate(&pk, scheme, &drbg);
    }
    if (!ret) {
        ret = mbedtls_pk_write_key_pem(&pk, (unsigned char *)pem, cap);
    }
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    mbedtls_pk_free(&pk);
    return ret ? OTA_ERR_SIG_KEY : OTA_OK;
}

int ota_host_key_public_pem(const char *key_path, char *pem, size_t cap)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
#if MBEDTLS_VERSION_MAJOR >= 3
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
    int ret = mbedtls_pk_parse_keyfile(&pk, key_path, NULL, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
#else
    int ret = mbedtls_pk_parse_keyfile(&pk, key_path, NULL);
#endif
    if (ret) {
        mbedtls_pk_free(&pk);
        mbedtls_pk_init(&pk);
        ret = mbedtls_pk_parse_public_keyfile(&pk, key_path);
    }
    if (!ret) {
        ret = mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)pem, cap);
    }
    mbedtls_pk_free(&pk);
    return ret ? OTA_ERR_SIG_KEY : OTA_OK;
}
