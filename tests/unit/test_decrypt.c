/* Encrypted app images through the push API (ota/update.h, ota/decrypt.h):
 * any chunk size installs; a flipped byte anywhere, a wrong key, a cut-short
 * image are refused with otadata untouched; the header parser on hostile
 * headers; Espressif's own vectors (when present) install byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz_make.h"
#include "helpers.h"
#include "ota/boot.h"
#include "ota/decrypt.h"
#include "ota/error.h"
#include "ota/host_decrypt.h"
#include "ota/host_encrypt.h"
#include "ota/journal.h"
#include "ota/otadata.h"
#include "ota/update.h"

static struct ota_ptable table;
static struct ota_device dev;
static struct ota_app_update up;

static void device(struct tmp_flash *t)
{
    make_seed_device(t, &table);
    struct buf b = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    write_partition(t, ota_pt_find_label(&table, "ota_0"), b.data, b.len);
    buf_free(&b);
    assert_int_equal(ota_device_open(&dev, &t->hf.flash, booted_app_offset(&t->hf.flash)), OTA_OK);
}

static struct ota_crypto_key *load_key(const char *name)
{
    char path[512];
    struct ota_crypto_key *k = NULL;
    snprintf(path, sizeof(path), "%s/%s", OTA_TEST_DATA_DIR, name);
    assert_int_equal(ota_host_decrypt_key_load(path, &k), OTA_OK);
    return k;
}

static uint8_t work[OTA_CHUNKED_WORK_LEN];

static struct buf encrypt_chunked(const struct buf *plain, const char *pub)
{
    char path[512];
    struct buf e = {0};
    snprintf(path, sizeof(path), "%s/%s", OTA_TEST_DATA_DIR, pub);
    assert_int_equal(ota_host_encrypt_chunked(plain->data, plain->len, path, 12, &e.data, &e.len), OTA_OK);
    return e;
}

static struct buf encrypt(const struct buf *plain, const char *pub)
{
    char path[512];
    struct buf e = {0};
    snprintf(path, sizeof(path), "%s/%s", OTA_TEST_DATA_DIR, pub);
    assert_int_equal(ota_host_encrypt_esp(plain->data, plain->len, path, &e.data, &e.len), OTA_OK);
    return e;
}

/* Push the whole of b in chunks of `chunk`, then finish. */
static int install(const struct buf *b, size_t chunk, int64_t announced)
{
    struct ota_app_options opt = {NULL, announced, false, NULL, NULL, NULL};
    int err = ota_app_begin(&up, &dev, &opt);
    for (size_t off = 0; !err && off < b->len; off += chunk) {
        err = ota_app_write(&up, b->data + off, b->len - off < chunk ? b->len - off : chunk);
    }
    if (!err) {
        err = ota_app_finish(&up, NULL);
    }
    if (err) {
        ota_app_abort(&up);
    }
    return err;
}

static void otadata_of(struct tmp_flash *t, uint8_t out[0x2000])
{
    const struct ota_partition *od = ota_pt_find_label(&table, "otadata");
    assert_int_equal(ota_flash_read(&t->hf.flash, od->offset, out, 0x2000), OTA_OK);
}

static void slot_holds(struct tmp_flash *t, const struct buf *plain)
{
    uint8_t *got = malloc(plain->len);
    const struct ota_partition *p = ota_pt_find_label(&table, "ota_1");
    assert_int_equal(ota_flash_read(&t->hf.flash, p->offset, got, (uint32_t)plain->len), OTA_OK);
    assert_memory_equal(got, plain->data, plain->len);
    free(got);
}

static void any_chunk_size_installs_either_scheme(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 13, 512, 4096, 65536};
    static const char *const keys[][2] = {{"test_rsa3072.pem", "test_rsa3072_pub.pem"},
                                          {"test_p256.pem", "test_p256_pub.pem"}};
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    for (size_t k = 0; k < 2; k++) {
        struct ota_crypto_key *key = load_key(keys[k][0]);
        struct buf enc = encrypt(&plain, keys[k][1]);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            struct tmp_flash t;
            device(&t);
            dev.decrypt_key = key;
            assert_int_equal(install(&enc, chunks[i], i & 1 ? (int64_t)enc.len : OTA_LENGTH_UNKNOWN), OTA_OK);
            slot_holds(&t, &plain);
            assert_boots(&t.hf.flash, "ota_1");
            tmp_flash_destroy(&t);
        }
        buf_free(&enc);
        ota_host_decrypt_key_free(key);
    }
    buf_free(&plain);
}

/* Each refusal leaves otadata as it was and the running app booting. */
static void refused(const struct buf *enc, struct ota_crypto_key *key, int64_t announced, int want)
{
    struct tmp_flash t;
    uint8_t before[0x2000], after[0x2000];
    device(&t);
    dev.decrypt_key = key;
    otadata_of(&t, before);
    int err = install(enc, 4096, announced);
    if (want) {
        assert_int_equal(err, want);
    } else {
        assert_int_not_equal(err, OTA_OK);
    }
    otadata_of(&t, after);
    assert_memory_equal(before, after, sizeof(before));
    assert_boots(&t.hf.flash, "ota_0");
    tmp_flash_destroy(&t);
}

static void tampering_and_wrong_keys_are_refused(void **state)
{
    (void)state;
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 70000, OTA_CHIP_ESP32);
    struct ota_crypto_key *rsa = load_key("test_rsa3072.pem"), *other = load_key("test_rsa3072_other.pem");
    struct ota_crypto_key *p256 = load_key("test_p256.pem");
    struct buf enc = encrypt(&plain, "test_rsa3072_pub.pem");
    refused(&enc, NULL, (int64_t)enc.len, OTA_ERR_DECRYPT_NO_KEY);
    refused(&enc, other, (int64_t)enc.len, OTA_ERR_DECRYPT_KEY);
    refused(&enc, p256, (int64_t)enc.len, OTA_ERR_DECRYPT_KEY);
    /* a flipped byte: the header's fields, the ciphertext's start, middle, end, the tag */
    static const size_t offs[] = {1, 4, 200, 388, 404, 408, 423, 512, 600, 40000};
    for (size_t i = 0; i <= sizeof(offs) / sizeof(offs[0]); i++) {
        size_t off = i < sizeof(offs) / sizeof(offs[0]) ? offs[i] : enc.len - 1;
        enc.data[off] ^= 0x01;
        refused(&enc, rsa, OTA_LENGTH_UNKNOWN, 0);
        enc.data[off] ^= 0x01;
    }
    /* cut short: announced (refused at the header) or not (at the finish) */
    struct buf cut = {enc.data, enc.len - 100, 0};
    refused(&cut, rsa, (int64_t)cut.len, OTA_ERR_DECRYPT_LENGTH);
    refused(&cut, rsa, OTA_LENGTH_UNKNOWN, OTA_ERR_DECRYPT_LENGTH);
    cut.len = 300;
    refused(&cut, rsa, OTA_LENGTH_UNKNOWN, OTA_ERR_DECRYPT_LENGTH);
    /* bytes after the image */
    struct buf longer = {realloc(enc.data, enc.len + 5), enc.len + 5, 0};
    enc.data = longer.data;
    memset(longer.data + enc.len, 0, 5);
    refused(&longer, rsa, OTA_LENGTH_UNKNOWN, OTA_ERR_DECRYPT_LENGTH);
    buf_free(&enc);
    ota_host_decrypt_key_free(rsa);
    ota_host_decrypt_key_free(other);
    ota_host_decrypt_key_free(p256);
    buf_free(&plain);
}

/* A seek (a reconnection) continues only where the stream stopped, or from 0. */
static void seek_continues_or_restarts(void **state)
{
    (void)state;
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 90000, OTA_CHIP_ESP32);
    struct ota_crypto_key *key = load_key("test_p256.pem");
    struct buf enc = encrypt(&plain, "test_p256_pub.pem");
    struct tmp_flash t;
    device(&t);
    dev.decrypt_key = key;
    struct ota_app_options opt = {NULL, (int64_t)enc.len, false, NULL, NULL, NULL};
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(ota_app_write(&up, enc.data, 30000), OTA_OK);
    assert_int_equal(ota_app_written(&up), 30000);
    assert_int_equal(ota_app_seek(&up, 30000), OTA_OK);
    assert_int_equal(ota_app_seek(&up, 0), OTA_OK);  /* from byte 0 again */
    assert_int_equal(ota_app_write(&up, enc.data, enc.len), OTA_OK);
    assert_int_equal(ota_app_finish(&up, NULL), OTA_OK);
    slot_holds(&t, &plain);
    tmp_flash_destroy(&t);
    device(&t);
    dev.decrypt_key = key;
    assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
    assert_int_equal(ota_app_write(&up, enc.data, 30000), OTA_OK);
    assert_int_equal(ota_app_seek(&up, 20000), OTA_ERR_INVALID_ARG);  /* GCM cannot go back */
    ota_app_abort(&up);
    assert_boots(&t.hf.flash, "ota_0");
    tmp_flash_destroy(&t);
    buf_free(&enc);
    buf_free(&plain);
    ota_host_decrypt_key_free(key);
}

static void header_parser_refuses_what_is_not_one(void **state)
{
    (void)state;
    uint8_t h[OTA_ESP_ENC_HEADER_LEN] = {0xcf, 0xb6, 0x88, 0x07};
    struct ota_esp_enc_header eh;
    assert_int_equal(ota_esp_enc_parse_header(h, &eh), OTA_ERR_DECRYPT_HEADER);  /* length 0 */
    h[404] = 1;
    assert_int_equal(ota_esp_enc_parse_header(h, &eh), OTA_OK);
    assert_int_equal(eh.length, 1);
    h[3] = 0x08;
    assert_int_equal(ota_esp_enc_parse_header(h, &eh), OTA_ERR_DECRYPT_HEADER);
}

/* ---- our chunked format ----------------------------------------------------- */

static void chunked_installs_either_wrap(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 999, 4112, 65536};
    static const char *const keys[][2] = {{"test_rsa3072.pem", "test_rsa3072_pub.pem"},
                                          {"test_p256.pem", "test_p256_pub.pem"}};
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    for (size_t k = 0; k < 2; k++) {
        struct ota_crypto_key *key = load_key(keys[k][0]);
        struct buf enc = encrypt_chunked(&plain, keys[k][1]);
        assert_int_equal(enc.len, 512 + plain.len + 16 * ((plain.len + 4095) / 4096));
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            struct tmp_flash t;
            device(&t);
            dev.decrypt_key = key;
            dev.decrypt_work = work;
            assert_int_equal(install(&enc, chunks[i], i & 1 ? (int64_t)enc.len : OTA_LENGTH_UNKNOWN), OTA_OK);
            slot_holds(&t, &plain);
            assert_boots(&t.hf.flash, "ota_1");
            tmp_flash_destroy(&t);
        }
        buf_free(&enc);
        ota_host_decrypt_key_free(key);
    }
    buf_free(&plain);
}

/* The refusal came before chunk `index` reached flash: its 4 KiB of the slot
 * are as the fresh device had them (erased), otadata untouched, old app boots. */
static void refused_before_chunk(const struct buf *enc, struct ota_crypto_key *key, int want, uint32_t index)
{
    struct tmp_flash t;
    uint8_t before[0x2000], after[0x2000], slot[4096], erased[4096];
    device(&t);
    dev.decrypt_key = key;
    dev.decrypt_work = work;
    otadata_of(&t, before);
    assert_int_equal(install(enc, 1000, OTA_LENGTH_UNKNOWN), want);
    otadata_of(&t, after);
    assert_memory_equal(before, after, sizeof(before));
    const struct ota_partition *p = ota_pt_find_label(&table, "ota_1");
    assert_int_equal(ota_flash_read(&t.hf.flash, p->offset + index * 4096, slot, sizeof(slot)), OTA_OK);
    memset(erased, 0xff, sizeof(erased));
    assert_memory_equal(slot, erased, sizeof(slot));
    assert_boots(&t.hf.flash, "ota_0");
    tmp_flash_destroy(&t);
}

static void chunked_tampering_is_refused_before_the_chunk_is_written(void **state)
{
    (void)state;
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 70000, OTA_CHIP_ESP32);
    struct ota_crypto_key *rsa = load_key("test_rsa3072.pem"), *other = load_key("test_rsa3072_other.pem");
    struct ota_crypto_key *p256 = load_key("test_p256.pem");
    struct buf enc = encrypt_chunked(&plain, "test_rsa3072_pub.pem");
    /* the header: every field, the wrapped key, its tag: refused before chunk 0 */
    static const size_t hdr[] = {0, 4, 5, 6, 8, 12, 44, 52, 300, 440, 496, 511};
    for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
        enc.data[hdr[i]] ^= 0x01;
        struct tmp_flash t;
        device(&t);
        dev.decrypt_key = rsa;
        dev.decrypt_work = work;
        int err = install(&enc, 4096, OTA_LENGTH_UNKNOWN);
        assert_true(err == OTA_ERR_DECRYPT_HEADER || err == OTA_ERR_DECRYPT_KEY);
        tmp_flash_destroy(&t);
        refused_before_chunk(&enc, rsa, err, 0);
        enc.data[hdr[i]] ^= 0x01;
    }
    /* chunk k's data (first, middle, last byte) and its tag */
    for (uint32_t k = 0; k < 18; k += 5) {
        size_t start = 512 + (size_t)k * (4096 + 16);
        size_t n = k == 17 ? 70000 - 17 * 4096 : 4096;
        const size_t offs[] = {start, start + n / 2, start + n - 1, start + n, start + n + 15};
        for (size_t i = 0; i < 5; i++) {
            enc.data[offs[i]] ^= 0x80;
            refused_before_chunk(&enc, rsa, OTA_ERR_DECRYPT_TAG, k);
            enc.data[offs[i]] ^= 0x80;
        }
    }
    /* two chunks swapped: the second place refuses the moved chunk */
    struct buf swapped = {malloc(enc.len), enc.len, 0};
    memcpy(swapped.data, enc.data, enc.len);
    memcpy(swapped.data + 512 + 4112, enc.data + 512 + 2 * 4112, 4112);
    memcpy(swapped.data + 512 + 2 * 4112, enc.data + 512 + 4112, 4112);
    refused_before_chunk(&swapped, rsa, OTA_ERR_DECRYPT_TAG, 1);
    buf_free(&swapped);
    /* keys: of another kind, another device's */
    refused_before_chunk(&enc, p256, OTA_ERR_DECRYPT_SCHEME, 0);
    refused_before_chunk(&enc, other, OTA_ERR_DECRYPT_KEY, 0);
    struct buf ecc = encrypt_chunked(&plain, "test_p256_pub.pem");
    struct ota_crypto_key *p256_other = NULL;
    uint8_t hmac[32] = {7};
    assert_int_equal(ota_host_decrypt_key_from_hmac(hmac, &p256_other), OTA_OK);
    refused_before_chunk(&ecc, p256_other, OTA_ERR_DECRYPT_KEY, 0);
    buf_free(&ecc);
    /* cut short: within a chunk, at a chunk boundary; bytes after the last chunk */
    struct buf cut = {enc.data, 512 + 3 * 4112 + 100, 0};
    refused_before_chunk(&cut, rsa, OTA_ERR_DECRYPT_LENGTH, 3);
    cut.len = 512 + 3 * 4112;
    refused_before_chunk(&cut, rsa, OTA_ERR_DECRYPT_LENGTH, 3);
    struct buf longer = {malloc(enc.len + 1), enc.len + 1, 0};
    memcpy(longer.data, enc.data, enc.len);
    longer.data[enc.len] = 0;
    struct tmp_flash t;
    uint8_t before[0x2000], after[0x2000];
    device(&t);
    dev.decrypt_key = rsa;
    dev.decrypt_work = work;
    otadata_of(&t, before);
    assert_int_equal(install(&longer, 4096, OTA_LENGTH_UNKNOWN), OTA_ERR_DECRYPT_LENGTH);
    otadata_of(&t, after);
    assert_memory_equal(before, after, sizeof(before));
    tmp_flash_destroy(&t);
    buf_free(&longer);
    refused(&enc, rsa, OTA_LENGTH_UNKNOWN, OTA_ERR_NO_MEM);  /* a device without the chunk work area */
    buf_free(&enc);
    ota_host_decrypt_key_free(rsa);
    ota_host_decrypt_key_free(other);
    ota_host_decrypt_key_free(p256);
    ota_host_decrypt_key_free(p256_other);
    buf_free(&plain);
}

static void chunked_header_parser(void **state)
{
    (void)state;
    uint8_t h[OTA_CHUNKED_HEADER_LEN] = {0xce, 0x4f, 0x54, 0x45, 1, 1, 12, 0, 1};
    struct ota_chunked_header ch;
    assert_int_equal(ota_chunked_parse_header(h, &ch), OTA_OK);
    assert_int_equal(ch.chunk_len, 4096);
    assert_int_equal(ota_chunked_count(&ch), 1);
    h[4] = 2;  /* a version this device does not know */
    assert_int_equal(ota_chunked_parse_header(h, &ch), OTA_ERR_DECRYPT_HEADER);
    h[4] = 1;
    h[6] = 13;  /* a chunk larger than the device's buffer */
    assert_int_equal(ota_chunked_parse_header(h, &ch), OTA_ERR_DECRYPT_HEADER);
    h[6] = 12;
    h[450] = 1;  /* a reserved byte set */
    assert_int_equal(ota_chunked_parse_header(h, &ch), OTA_ERR_DECRYPT_HEADER);
    h[450] = 0;
    h[5] = 3;  /* an unknown key wrap */
    assert_int_equal(ota_chunked_parse_header(h, &ch), OTA_ERR_DECRYPT_HEADER);
}

static void vectors_install_byte_for_byte(void **state)
{
    (void)state;
    static const char *const v[2][3] = {{"encrypted/blink_esp32s2.rsa3072.enc", "encrypted/rsa3072_private.pem",
                                        "blink_esp32s2.bin"},
                                       {"encrypted/blink_esp32s2.ecc256.enc", "encrypted/device_hmac_key.bin",
                                        "blink_esp32s2.bin"}};  /* korvo (2.6 MB) exceeds these 1 MiB slots: integration.encrypted installs it */
    if (!vector_path("encrypted/README.md")) {
        skip();
    }
    for (size_t i = 0; i < 2; i++) {
        struct ota_crypto_key *key = NULL;
        assert_int_equal(ota_host_decrypt_key_load(vector_path(v[i][1]), &key), OTA_OK);
        struct buf enc = read_file(vector_path(v[i][0])), plain = read_file(vector_path(v[i][2]));
        struct tmp_flash t;
        device(&t);
        dev.decrypt_key = key;
        dev.chip_id = OTA_CHIP_ANY;
        assert_int_equal(install(&enc, 4096, (int64_t)enc.len), OTA_OK);
        slot_holds(&t, &plain);
        tmp_flash_destroy(&t);
        buf_free(&enc);
        buf_free(&plain);
        ota_host_decrypt_key_free(key);
    }
}

/* Encryption wraps a compressed image or a patch: through the push API with
 * the applier's work area they install as the image they make, in any
 * chunking; without it they are refused before any write. */
static struct ota_delta applier;

static struct buf payload_of(int kind, const struct buf *old, const struct buf *nw)
{
    struct delta_plan plan = {0};
    struct delta_buf out = {0};
    int err = kind == 0 ? cz_compress(nw->data, nw->len, &out) : delta_plan_make(old->data, old->len, nw->data,
                                                                                  nw->len, &plan);
    if (!err && kind == 1) {
        err = delta_write_esp(old->data, old->len, nw->data, nw->len, &plan, &out);
    } else if (!err && kind == 2) {
        err = delta_write_compact(old->data, old->len, nw->data, nw->len, &plan, &out);
    }
    delta_plan_free(&plan);
    assert_int_equal(err, 0);
    struct buf b = {out.data, out.len, out.cap};
    return b;
}

static int install_applied(const struct buf *b, size_t chunk, bool with_applier)
{
    struct ota_app_options opt = {NULL, (int64_t)b->len, false, NULL, NULL, NULL};
    int err = ota_app_begin(&up, &dev, &opt);
    if (!err && with_applier) {
        ota_app_apply_decrypted(&up, &applier);
    }
    for (size_t off = 0; !err && off < b->len; off += chunk) {
        err = ota_app_write(&up, b->data + off, b->len - off < chunk ? b->len - off : chunk);
    }
    if (!err) {
        err = ota_app_finish(&up, NULL);
    }
    if (err) {
        ota_app_abort(&up);
    }
    return err;
}

static void encrypted_compressed_images_and_patches_install(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 1000, 65536};
    struct buf old = make_image("ota_example", "v1.0.0", 64 * 1024, OTA_CHIP_ESP32);
    struct buf nw = make_image("ota_example", "v2.0.0", 80000, OTA_CHIP_ESP32);
    struct ota_crypto_key *key = load_key("test_p256.pem");
    for (int kind = 0; kind < 3; kind++) {
        struct buf pl = payload_of(kind, &old, &nw);
        for (int chunked = 0; chunked < 2; chunked++) {
            struct buf enc = chunked ? encrypt_chunked(&pl, "test_p256_pub.pem") : encrypt(&pl, "test_p256_pub.pem");
            for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
                struct tmp_flash t;
                device(&t);
                dev.decrypt_key = key;
                dev.decrypt_work = work;
                assert_int_equal(install_applied(&enc, chunks[i], true), OTA_OK);
                slot_holds(&t, &nw);
                assert_boots(&t.hf.flash, "ota_1");
                tmp_flash_destroy(&t);
            }
            struct tmp_flash t;
            device(&t);
            dev.decrypt_key = key;
            dev.decrypt_work = work;
            uint64_t ops = t.hf.count.ops;
            assert_int_equal(install_applied(&enc, 4096, false), OTA_ERR_DELTA_UNSUPPORTED);
            assert_int_equal(t.hf.count.ops, ops);  /* not one erase or program */
            tmp_flash_destroy(&t);
            buf_free(&enc);
        }
        buf_free(&pl);
    }
    ota_host_decrypt_key_free(key);
    buf_free(&old);
    buf_free(&nw);
}

/* Push the encrypted bytes [from, to) of b with a journal keyed "src"
 * (validator "v1"), from a fresh ota_app_begin as a device after a power
 * cut: returns the offset the update asked to resume at (the encrypted
 * offset of a chunk boundary, or 0), and finishes when to is the end. */
static int64_t journaled_run(const struct buf *b, size_t to, int *err_out)
{
    uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN];
    ota_source_id("src", id);
    struct ota_app_options opt = {NULL, OTA_LENGTH_UNKNOWN, false, NULL, id, "v1"};
    uint32_t hint = 0;
    int err = ota_app_begin(&up, &dev, &opt);
    const char *v = err ? NULL : ota_app_resume_hint(&up, &hint);
    int64_t at = err ? err : ota_app_set_source(&up, (int64_t)b->len, "v1");
    if (at > 0) {
        assert_non_null(v);
        assert_int_equal(hint, at);  /* what a transport asks for before the source answers */
    }
    if (at >= 0 && !(err = ota_app_seek(&up, (uint64_t)at))) {
        for (size_t off = (size_t)at; !err && off < to; off += 3000) {
            err = ota_app_write(&up, b->data + off, to - off < 3000 ? to - off : 3000);
        }
    }
    if (!err && to == b->len) {
        err = ota_app_finish(&up, NULL);
    }
    if (to != b->len || err) {
        ota_app_abort(&up);  /* the power goes */
    }
    *err_out = at < 0 ? (int)at : err;
    return at;
}

/* A chunked transfer cut mid-way resumes at the last chunk boundary whose
 * plain bytes are durable; the esp format and a torn journal mark start
 * from 0. */
static void chunked_resumes_at_a_chunk_boundary(void **state)
{
    (void)state;
    struct buf plain = make_image("play_mp3_control", "v2.0.0", 150000, OTA_CHIP_ESP32);
    struct ota_crypto_key *key = load_key("test_p256.pem");
    struct buf enc = encrypt_chunked(&plain, "test_p256_pub.pem");
    struct buf esp = encrypt(&plain, "test_p256_pub.pem");
    int err;
    struct tmp_flash t;
    device(&t);
    dev.decrypt_key = key;
    dev.decrypt_work = work;
    assert_int_equal(journaled_run(&enc, 100000, &err), 0);
    assert_int_equal(err, OTA_OK);
    int64_t at = journaled_run(&enc, enc.len, &err);
    assert_int_equal(err, OTA_OK);
    assert_true(at > 512 && (at - 512) % 4112 == 0 && at <= 100000 && at > 100000 - 2 * 4112);
    slot_holds(&t, &plain);
    assert_boots(&t.hf.flash, "ota_1");
    tmp_flash_destroy(&t);

    /* the push API with the length known at begin: ota_app_resume_offset says
     * where to continue; pushing from byte 0 instead starts over */
    for (int from_zero = 0; from_zero < 2; from_zero++) {
        device(&t);
        dev.decrypt_key = key;
        dev.decrypt_work = work;
        journaled_run(&enc, 100000, &err);
        uint8_t id[OTA_JOURNAL_SOURCE_ID_LEN];
        ota_source_id("src", id);
        struct ota_app_options opt = {NULL, (int64_t)enc.len, false, NULL, id, "v1"};
        assert_int_equal(ota_app_begin(&up, &dev, &opt), OTA_OK);
        uint32_t off = ota_app_resume_offset(&up);
        assert_true(off > 512 && (off - 512) % 4112 == 0 && off <= 100000);
        if (from_zero) {
            off = 0;
        } else {
            assert_int_equal(ota_app_seek(&up, off), OTA_OK);
        }
        assert_int_equal(ota_app_write(&up, enc.data + off, enc.len - off), OTA_OK);
        assert_int_equal(ota_app_finish(&up, NULL), OTA_OK);
        slot_holds(&t, &plain);
        tmp_flash_destroy(&t);
    }

    /* a torn mark (its complement broken): a plain record, never resumed as chunked */
    device(&t);
    dev.decrypt_key = key;
    dev.decrypt_work = work;
    journaled_run(&enc, 100000, &err);
    const struct ota_partition *slot = ota_pt_find_label(&table, "ota_1");
    struct ota_journal j;
    assert_int_equal(ota_journal_load(&t.hf.flash, slot, &j), OTA_OK);
    assert_int_equal(j.chunk_log2, 12);
    uint32_t word = slot->offset + ota_journal_data_capacity(slot) + (uint32_t)j.copy * 4096u + 388u;
    uint8_t torn = 0x00;
    assert_int_equal(ota_flash_program(&t.hf.flash, word + 1, &torn, 1), OTA_OK);
    assert_int_equal(journaled_run(&enc, enc.len, &err), 0);
    assert_int_equal(err, OTA_OK);
    slot_holds(&t, &plain);
    tmp_flash_destroy(&t);

    /* esp_encrypted_img: no record to resume, from byte 0 */
    device(&t);
    dev.decrypt_key = key;
    dev.decrypt_work = work;
    journaled_run(&esp, 100000, &err);
    assert_int_equal(journaled_run(&esp, esp.len, &err), 0);
    assert_int_equal(err, OTA_OK);
    slot_holds(&t, &plain);
    tmp_flash_destroy(&t);
    buf_free(&enc);
    buf_free(&esp);
    buf_free(&plain);
    ota_host_decrypt_key_free(key);
}

/* The README's memory table: the decrypt state of each format. */
static void decrypt_state_is_the_documented_size(void **state)
{
    (void)state;
#if defined(__x86_64__)
    assert_int_equal(sizeof(struct ota_decrypt), 1032);  /* both formats: README, docs/encryption.md */
    assert_int_equal(sizeof(struct ota_delta), 16272);   /* an encrypted patch or compressed image */
#endif
    assert_int_equal(OTA_CHUNKED_WORK_LEN, 4112);        /* chunked: one 4 KiB chunk and its tag */
    assert_true(sizeof(struct ota_decrypt) < sizeof(struct ota_app_update));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(any_chunk_size_installs_either_scheme),
        cmocka_unit_test(tampering_and_wrong_keys_are_refused),
        cmocka_unit_test(seek_continues_or_restarts),
        cmocka_unit_test(header_parser_refuses_what_is_not_one),
        cmocka_unit_test(chunked_installs_either_wrap),
        cmocka_unit_test(chunked_tampering_is_refused_before_the_chunk_is_written),
        cmocka_unit_test(chunked_header_parser),
        cmocka_unit_test(vectors_install_byte_for_byte),
        cmocka_unit_test(encrypted_compressed_images_and_patches_install),
        cmocka_unit_test(decrypt_state_is_the_documented_size),
        cmocka_unit_test(chunked_resumes_at_a_chunk_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
