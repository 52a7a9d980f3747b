/* Secure Boot V2 signature blocks: espsecure's vectors, our signing, fixed vectors. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ota/error.h"
#include "ota/hash.h"
#include "ota/host_sign.h"
#include "ota/signature.h"

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct buf *b = ctx;
    if (off > b->len || len > b->len - off) {
        return OTA_ERR_OUT_OF_BOUNDS;
    }
    memcpy(buf, b->data + off, len);
    return OTA_OK;
}

static void hex32(const char *s, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static const char *test_key(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", OTA_TEST_DATA_DIR, name);
    return path;
}

/* Recompute a block's CRC after a deliberate change, so the check behind it runs. */
static void fix_crc(uint8_t *block)
{
    uint32_t c = ota_crc32(0, block, 1196);
    block[1196] = (uint8_t)c;
    block[1197] = (uint8_t)(c >> 8);
    block[1198] = (uint8_t)(c >> 16);
    block[1199] = (uint8_t)(c >> 24);
}

#define BLINK_LEN 182368u
#define SECTOR 0x2d000u

static void espsecure_vectors(void **state)
{
    (void)state;
    static const struct { const char *file, *digest; uint8_t version; } v[] = {
        {"signed/blink_rsa3072_signed.bin", "18b66f09339460a9f8cf4e60de6ae00668b9a117e8654a1414f51006151ac136", 2},
        {"signed/blink_p256_signed.bin", "3bb488af9e7cf688b2dfccf3313b9a5121057843322d62911c51f845149be2bc", 3},
    };
    if (vectors_absent()) {
        skip();
    }
    for (int i = 0; i < 2; i++) {
        struct buf b = read_file(vector_path(v[i].file));
        uint8_t want[32];
        struct ota_sig_result res;
        hex32(v[i].digest, want);
        assert_int_equal(b.len, 188416);
        assert_int_equal(ota_sig_sector_offset(BLINK_LEN), SECTOR);
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_OK);
        assert_true(res.verified);
        assert_int_equal(res.block.version, v[i].version);
        assert_memory_equal(res.block.key_digest, want, 32);
        assert_int_equal(res.blocks, 1);

        uint8_t *blk = b.data + SECTOR;
        /* one flipped byte in the image: the digest no longer matches */
        b.data[1000] ^= 1;
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_ERR_SIG_DIGEST);
        b.data[1000] ^= 1;
        /* in the stored digest, the signature, or the CRC: the CRC catches it */
        static const unsigned at[] = {10, 900, 1197};
        for (int k = 0; k < 3; k++) {
            blk[at[k]] ^= 1;
            assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_ERR_SIG_BLOCK);
            blk[at[k]] ^= 1;
        }
        /* with a recomputed CRC, the digest and the signature checks catch them */
        blk[10] ^= 1;
        fix_crc(blk);
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_ERR_SIG_DIGEST);
        blk[10] ^= 1;
        blk[v[i].version == 2 ? 900 : 120] ^= 1;
        fix_crc(blk);
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_ERR_SIG_INVALID);
        blk[v[i].version == 2 ? 900 : 120] ^= 1;
        fix_crc(blk);
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_OK);
        /* another trusted key */
        want[0] ^= 1;
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, want, &res), OTA_ERR_SIG_UNTRUSTED_KEY);
        /* no signature at all */
        memset(blk, 0xFF, 4096);
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, NULL, &res), OTA_ERR_SIG_MISSING);
        b.len = BLINK_LEN;
        assert_int_equal(ota_sig_verify(mem_read, &b, BLINK_LEN, NULL, &res), OTA_ERR_SIG_MISSING);
        buf_free(&b);
    }
}

/* The image the fixed vectors are made from: as `ota image make` with
 * SOURCE_DATE_EPOCH=1637854707 --project signed_app --version v3.0.0 --size 100000. */
static struct buf fixed_image(void)
{
    struct buf b = {0};
    struct ota_image_build_params p = {"signed_app", "v3.0.0", 0, OTA_CHIP_ESP32, 100000, "15:38:27", "Nov 25 2021",
                                       "host-build"};
    assert_int_equal(ota_image_build(&p, buf_emit, &b), OTA_OK);
    return b;
}

static void sign_and_verify_fixed_vectors(void **state)
{
    (void)state;
    static const struct { const char *key, *pub, *sha256; } k[] = {
        {"test_rsa3072.pem", "test_rsa3072_pub.pem", "b2dfebc6e2a2117961672162ab151ea19b9652ca9c150ad3d56db1694addc3b3"},
        {"test_p256.pem", "test_p256_pub.pem", "2fdc5665efa6e356c57a1e67c84eae6ad6f24ce1ee8558873aec272b5a10a68e"},
    };
    struct buf img = fixed_image();
    for (int i = 0; i < 2; i++) {
        struct buf out = {0};
        uint8_t trusted[32], got[32], want[32];
        struct ota_sig_result res;
        assert_int_equal(ota_host_sign(img.data, img.len, test_key(k[i].key), true, buf_emit, &out), OTA_OK);
        assert_int_equal(out.len, 0x19000 + 4096);
        assert_int_equal(ota_host_key_digest(test_key(k[i].pub), trusted), OTA_OK);
        assert_int_equal(ota_sig_verify(mem_read, &out, (uint32_t)img.len, trusted, &res), OTA_OK);
        /* the fixed vector: the whole signed file, byte for byte */
        ota_sha256_ctx sha;
        ota_sha256_init(&sha);
        ota_sha256_update(&sha, out.data, out.len);
        ota_sha256_finish(&sha, got);
        hex32(k[i].sha256, want);
        assert_memory_equal(got, want, 32);
        buf_free(&out);
        /* not deterministic: a different PSS salt, still valid */
        assert_int_equal(ota_host_sign(img.data, img.len, test_key(k[i].key), false, buf_emit, &out), OTA_OK);
        assert_int_equal(ota_sig_verify(mem_read, &out, (uint32_t)img.len, trusted, &res), OTA_OK);
        buf_free(&out);
    }
    /* a public key cannot sign; a wrong key is not trusted */
    struct buf out = {0};
    assert_int_equal(ota_host_sign(img.data, img.len, test_key("test_rsa3072_pub.pem"), true, buf_emit, &out),
                     OTA_ERR_SIG_KEY);
    uint8_t trusted[32];
    struct ota_sig_result res;
    assert_int_equal(ota_host_key_digest(test_key("test_rsa3072_pub.pem"), trusted), OTA_OK);
    assert_int_equal(ota_host_sign(img.data, img.len, test_key("test_rsa3072_other.pem"), true, buf_emit, &out),
                     OTA_OK);
    assert_int_equal(ota_sig_verify(mem_read, &out, (uint32_t)img.len, trusted, &res), OTA_ERR_SIG_UNTRUSTED_KEY);
    buf_free(&out);
    buf_free(&img);
}

/* Secure Boot V2 per chip (soc_caps.h SOC_SECURE_BOOT_V2_RSA/_ECC, the
 * ROM's SECURE_BOOT_NUM_BLOCKS): espsecure's ECDSA-signed ESP32-S2 vector
 * verifies as data, but no ESP32/-S2/-S3/-C3 takes it; an ESP32-C6 does. */
static void schemes_per_chip(void **state)
{
    (void)state;
    static const uint16_t rsa_only[] = {OTA_CHIP_ESP32, OTA_CHIP_ESP32S2, OTA_CHIP_ESP32S3, OTA_CHIP_ESP32C3};
    if (vectors_absent()) {
        skip();
    }
    struct buf ec = read_file(vector_path("signed/blink_p256_signed.bin"));
    struct buf rsa = read_file(vector_path("signed/blink_rsa3072_signed.bin"));
    struct ota_sig_result res;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ota_sig_chip_schemes(rsa_only[i]), OTA_SIG_SCHEME_RSA);
        assert_int_equal(ota_sig_verify_chip(mem_read, &ec, BLINK_LEN, rsa_only[i], NULL, &res), OTA_ERR_SIG_SCHEME);
        assert_false(res.verified);
        assert_int_equal(ota_sig_verify_chip(mem_read, &rsa, BLINK_LEN, rsa_only[i], NULL, &res), OTA_OK);
    }
    assert_int_equal(ota_sig_verify_chip(mem_read, &ec, BLINK_LEN, 0x000D /* C6 */, NULL, &res), OTA_OK);
    assert_int_equal(ota_sig_verify_chip(mem_read, &ec, BLINK_LEN, OTA_CHIP_ANY, NULL, &res), OTA_OK);
    assert_string_equal(ota_sig_schemes_name(ota_sig_chip_schemes(OTA_CHIP_ESP32C3)), "RSA-3072");
    buf_free(&ec);
    buf_free(&rsa);
}

/* Block 0 by an untrusted key, block 1 by the trusted one: the ESP32 ROM
 * reads only block 0; the others try all three. */
static void esp32_reads_only_the_first_block(void **state)
{
    (void)state;
    struct buf img = fixed_image();
    struct buf a = {0}, b = {0};
    uint8_t trusted[32];
    struct ota_sig_result res;
    assert_int_equal(ota_host_sign(img.data, img.len, test_key("test_rsa3072_other.pem"), true, buf_emit, &a), OTA_OK);
    assert_int_equal(ota_host_sign(img.data, img.len, test_key("test_rsa3072.pem"), true, buf_emit, &b), OTA_OK);
    uint32_t sector = ota_sig_sector_offset((uint32_t)img.len);
    memcpy(a.data + sector + OTA_SIG_BLOCK_LEN, b.data + sector, OTA_SIG_BLOCK_LEN);
    assert_int_equal(ota_host_key_digest(test_key("test_rsa3072_pub.pem"), trusted), OTA_OK);
    assert_int_equal(ota_sig_chip_blocks(OTA_CHIP_ESP32), 1);
    assert_int_equal(ota_sig_verify_chip(mem_read, &a, (uint32_t)img.len, OTA_CHIP_ESP32, trusted, &res),
                     OTA_ERR_SIG_UNTRUSTED_KEY);
    assert_int_equal(ota_sig_verify_chip(mem_read, &a, (uint32_t)img.len, OTA_CHIP_ESP32S3, trusted, &res), OTA_OK);
    assert_int_equal(ota_sig_verify_chip(mem_read, &a, (uint32_t)img.len, OTA_CHIP_ESP32C3, trusted, &res), OTA_OK);
    buf_free(&a);
    buf_free(&b);
    buf_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(espsecure_vectors),
        cmocka_unit_test(sign_and_verify_fixed_vectors),
        cmocka_unit_test(schemes_per_chip),
        cmocka_unit_test(esp32_reads_only_the_first_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
