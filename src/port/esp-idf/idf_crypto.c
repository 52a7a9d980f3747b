/* Signature verification (the core's crypto port) through PSA Crypto:
 * the signature block's little-endian numbers become the big-endian key
 * formats PSA imports, then psa_verify_hash does the work (in hardware
 * where ESP-IDF has a driver). */
#include <string.h>

#include "psa/crypto.h"

#include "ota/crypto.h"
#include "ota/error.h"

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[n - 1 - i];
    }
}

/* DER INTEGER of a big-endian unsigned number (leading zeros dropped, a
 * zero byte added when the top bit is set). Returns the bytes written. */
static size_t der_uint(uint8_t *out, const uint8_t *be, size_t n)
{
    while (n > 1 && be[0] == 0) {
        be++;
        n--;
    }
    size_t len = n + (be[0] & 0x80 ? 1 : 0), k = 0;
    out[k++] = 0x02;
    if (len >= 0x100) {
        out[k++] = 0x82;
        out[k++] = (uint8_t)(len >> 8);
    } else if (len >= 0x80) {
        out[k++] = 0x81;
    }
    out[k++] = (uint8_t)len;
    if (be[0] & 0x80) {
        out[k++] = 0;
    }
    memcpy(out + k, be, n);
    return k + n;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static size_t rsa_public_der(uint8_t *out, const uint8_t n_be[384], uint32_t e)
{
    uint8_t body[400], e_be[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    size_t len = der_uint(body, n_be, 384);
    len += der_uint(body + len, e_be, sizeof(e_be));
    out[0] = 0x30;
    out[1] = 0x82;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    memcpy(out + 4, body, len);
    return len + 4;
}

static int verify(psa_key_type_t type, size_t bits, psa_algorithm_t alg, const uint8_t *key, size_t key_len,
                  const uint8_t digest[32], const uint8_t *sig, size_t sig_len)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t id;
    if (psa_crypto_init() != PSA_SUCCESS) {
        return OTA_ERR_SIG_KEY;
    }
    psa_set_key_type(&attr, type);
    psa_set_key_bits(&attr, bits);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&attr, alg);
    if (psa_import_key(&attr, key, key_len, &id) != PSA_SUCCESS) {
        return OTA_ERR_SIG_KEY;
    }
    psa_status_t st = psa_verify_hash(id, alg, digest, 32, sig, sig_len);
    psa_destroy_key(id);
    return st == PSA_SUCCESS ? OTA_OK : OTA_ERR_SIG_INVALID;
}

int ota_crypto_rsa3072_pss_verify(const uint8_t n_le[384], uint32_t e, const uint8_t digest[32],
                                  const uint8_t sig_le[384])
{
    uint8_t n_be[384], sig_be[384], der[400];
    reverse(n_be, n_le, sizeof(n_be));
    reverse(sig_be, sig_le, sizeof(sig_be));
    if (!(n_be[0] & 0x80)) {
        return OTA_ERR_SIG_KEY;  /* not a 3072-bit modulus */
    }
    size_t len = rsa_public_der(der, n_be, e);
    /* PSS with MGF1-SHA-256 and a salt as long as the hash: Secure Boot V2's scheme. */
    return verify(PSA_KEY_TYPE_RSA_PUBLIC_KEY, 3072, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), der, len, digest, sig_be,
                  sizeof(sig_be));
}

int ota_crypto_ecdsa_p256_verify(const uint8_t x_le[32], const uint8_t y_le[32], const uint8_t digest[32],
                                 const uint8_t r_le[32], const uint8_t s_le[32])
{
    uint8_t point[65], sig[64];
    point[0] = 0x04;  /* uncompressed: 04 || X || Y */
    reverse(point + 1, x_le, 32);
    reverse(point + 33, y_le, 32);
    reverse(sig, r_le, 32);
    reverse(sig + 32, s_le, 32);
    return verify(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 256, PSA_ALG_ECDSA(PSA_ALG_SHA_256), point,
                  sizeof(point), digest, sig, sizeof(sig));
}
