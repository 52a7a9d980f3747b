/* Compressed app images: round trips in any chunk size (1 byte included),
 * matches at long distances read back from the output only, hostile inputs
 * (truncated at every length class, trailing bytes, unknown version and
 * flags, flipped bits) fail with named errors and never with a wrong image
 * reported as good; the state fits the applier's 16 KiB. */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "cz_make.h"
#include "ota/delta.h"
#include "ota/error.h"

struct sink {
    struct buf out;
    uint32_t max_back;  /* the farthest a history read reached behind the output */
};

static int no_old(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    (void)ctx, (void)off, (void)dst, (void)len;
    return OTA_ERR_OUT_OF_BOUNDS;
}

static int read_new(void *ctx, uint32_t off, void *dst, uint32_t len)
{
    struct sink *s = ctx;
    if ((size_t)off + len > s->out.len) {
        return OTA_ERR_OUT_OF_BOUNDS;  /* only bytes already handed out */
    }
    if (s->out.len - off > s->max_back) {
        s->max_back = (uint32_t)(s->out.len - off);
    }
    memcpy(dst, s->out.data + off, len);
    return 0;
}

static int write_new(void *ctx, const uint8_t *data, uint32_t len)
{
    struct sink *s = ctx;
    return buf_emit(&s->out, data, len) ? OTA_ERR_NO_MEM : 0;
}

static struct ota_delta dec; /* as a device holds it: not on the stack */

static int decode(const uint8_t *in, size_t len, size_t chunk, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    int err = ota_delta_begin(&dec, 0, NULL, no_old, write_new, s);
    ota_delta_set_history(&dec, read_new);
    for (size_t off = 0; !err && off < len; off += chunk) {
        err = ota_delta_write(&dec, in + off, len - off < chunk ? len - off : chunk);
    }
    return err ? err : ota_delta_finish(&dec);
}

/* An image with a block repeated far behind (beyond any RAM window) and
 * runs, so matches at every distance class are exercised. */
static struct buf sample(void)
{
    struct buf img = make_image("compress_me", "v1.0.0", 120000, OTA_CHIP_ESP32);
    memcpy(img.data + 100000, img.data + 1000, 15000);
    memset(img.data + 50000, 0xA5, 5000);
    return img;
}

static void test_state_fits_16k(void **state)
{
    (void)state;
    assert_true(sizeof(struct ota_delta) <= OTA_DELTA_STATE_MAX);
    assert_true(sizeof(struct ota_cz) <= sizeof(dec.u));
}

static void test_roundtrip_any_chunk(void **state)
{
    (void)state;
    struct buf img = sample();
    struct delta_buf z = {0};
    assert_int_equal(cz_compress(img.data, img.len, &z), 0);
    assert_true(z.len < img.len - 15000);  /* the far repeat and the run were found */
    static const size_t chunks[] = {1, 64, 1u << 20};
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
        struct sink s;
        assert_int_equal(decode(z.data, z.len, chunks[k], &s), 0);
        assert_int_equal(s.out.len, img.len);
        assert_memory_equal(s.out.data, img.data, img.len);
        assert_true(s.max_back >= 95000);  /* history came back from the output, far behind */
        buf_free(&s.out);
    }
    free(z.data);
    buf_free(&img);
}

static void test_hostile(void **state)
{
    (void)state;
    struct buf img = sample();
    struct delta_buf z = {0};
    struct sink s;
    assert_int_equal(cz_compress(img.data, img.len, &z), 0);
    /* cut short anywhere: truncated (or, inside the header, truncated too) */
    for (size_t cut = 0; cut < z.len; cut += cut < 64 ? 1 : z.len / 50) {
        int err = decode(z.data, cut, 512, &s);
        assert_true(err == OTA_ERR_DELTA_TRUNCATED || err == OTA_ERR_DELTA_CORRUPT);
        buf_free(&s.out);
    }
    uint8_t *m = malloc(z.len + 16);
    memcpy(m, z.data, z.len);
    memset(m + z.len, 0x55, 16);
    assert_int_equal(decode(m, z.len + 16, 512, &s), OTA_ERR_DELTA_TRAILING);
    buf_free(&s.out);
    m[4] = OTA_CZ_VERSION - 1; /* the older model: refused, never misread */
    assert_int_equal(decode(m, z.len, 512, &s), OTA_ERR_DELTA_VERSION);
    assert_int_equal(s.out.len, 0);
    m[4] = OTA_CZ_VERSION;
    m[12] = 1;  /* a sync interval off the sector grid */
    assert_int_equal(decode(m, z.len, 512, &s), OTA_ERR_DELTA_UNSUPPORTED);
    m[12] = 0;
    m[6] = 1;
    assert_int_equal(decode(m, z.len, 512, &s), OTA_ERR_DELTA_UNSUPPORTED);
    m[6] = 0;
    /* flipped bits in the body: an error, or (never seen) the same image */
    for (size_t at = OTA_CZ_HEADER_LEN; at < z.len; at += z.len / 40) {
        m[at] ^= 0x10;
        int err = decode(m, z.len, 4096, &s);
        assert_true(err != 0 || (s.out.len == img.len && memcmp(s.out.data, img.data, img.len) == 0));
        assert_true(err == 0 || err == OTA_ERR_DELTA_CORRUPT || err == OTA_ERR_DELTA_RESULT ||
                    err == OTA_ERR_DELTA_TRUNCATED || err == OTA_ERR_DELTA_TRAILING);
        m[at] ^= 0x10;
        buf_free(&s.out);
    }
    /* without a way to read the history back: refused before any output */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ota_delta_begin(&dec, 0, NULL, no_old, write_new, &s), 0);
    assert_int_equal(ota_delta_write(&dec, z.data, z.len), OTA_ERR_DELTA_UNSUPPORTED);
    assert_int_equal(s.out.len, 0);
    free(m);
    free(z.data);
    buf_free(&img);
}

/* Decode with sync points; at each, note the checkpoint the decoder offers. */
static int decode_checkpoints(const uint8_t *in, size_t len, size_t chunk, struct sink *s,
                              struct ota_delta_checkpoint *cps, size_t *ncp)
{
    memset(s, 0, sizeof(*s));
    *ncp = 0;
    int err = ota_delta_begin(&dec, 0, NULL, no_old, write_new, s);
    ota_delta_set_history(&dec, read_new);
    for (size_t off = 0; !err && off < len; off += chunk) {
        err = ota_delta_write(&dec, in + off, len - off < chunk ? len - off : chunk);
        struct ota_delta_checkpoint cp;
        if (!err && ota_delta_checkpoint(&dec, &cp) && (*ncp == 0 || cps[*ncp - 1].out_off != cp.out_off)) {
            cps[(*ncp)++] = cp;
        }
    }
    return err ? err : ota_delta_finish(&dec);
}

/* Resume at cp with the output's first cp->out_off bytes (prefix) as history. */
static int resume(const struct ota_delta_checkpoint *cp, const uint8_t *prefix, const uint8_t *in, size_t len,
                  struct sink *s)
{
    memset(s, 0, sizeof(*s));
    buf_emit(&s->out, prefix, cp->out_off);
    int err = ota_delta_begin(&dec, 0, NULL, no_old, write_new, s);
    ota_delta_set_history(&dec, read_new);
    if (!err) {
        err = ota_delta_resume(&dec, cp);
    }
    if (!err && cp->in_off < len) {
        err = ota_delta_write(&dec, in + cp->in_off, len - cp->in_off);
    }
    return err ? err : ota_delta_finish(&dec);
}

static void test_sync_points_resume(void **state)
{
    (void)state;
    struct buf img = sample();
    struct delta_buf z = {0}, whole = {0};
    struct sink s, r;
    struct ota_delta_checkpoint cps[16];
    size_t n = 0;
    assert_int_equal(cz_compress_sync(img.data, img.len, 16384, &z), 0);
    assert_int_equal(cz_compress_sync(img.data, img.len, 1u << 20, &whole), 0);
    assert_true(z.len > whole.len);  /* each sync point costs a little */
    /* the checkpoints do not depend on how the input was cut */
    struct ota_delta_checkpoint small[16];
    assert_int_equal(decode_checkpoints(z.data, z.len, 97, &s, small, &n), 0);
    buf_free(&s.out);
    assert_int_equal(decode_checkpoints(z.data, z.len, 4096, &s, cps, &n), 0);
    assert_memory_equal(small, cps, n * sizeof(cps[0]));
    assert_true(s.out.len == img.len && memcmp(s.out.data, img.data, img.len) == 0);
    assert_int_equal(n, img.len / 16384);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(cps[k].out_off, (k + 1) * 16384);
        assert_int_equal(resume(&cps[k], img.data, z.data, z.len, &r), 0);
        assert_true(r.out.len == img.len && memcmp(r.out.data, img.data, img.len) == 0);
        buf_free(&r.out);
    }
    /* a checkpoint off the grid or out of range: refused before any output */
    struct ota_delta_checkpoint bad = cps[1];
    bad.out_off += 4096;
    assert_int_equal(resume(&bad, img.data, z.data, z.len, &r), OTA_ERR_DELTA_CHECKPOINT);
    assert_int_equal(r.out.len, bad.out_off);
    buf_free(&r.out);
    bad = cps[1];
    bad.out_off = bad.image_len;
    assert_int_equal(resume(&bad, img.data, z.data, z.len, &r), OTA_ERR_DELTA_CHECKPOINT);
    buf_free(&r.out);
    bad = cps[1];
    bad.in_off = 10;
    assert_int_equal(resume(&bad, img.data, z.data, z.len, &r), OTA_ERR_DELTA_CHECKPOINT);
    buf_free(&r.out);
    /* another image's checkpoint, or a flash prefix that differs: never a good result */
    bad = cps[1];
    bad.image_sha256[0] ^= 1;
    assert_int_equal(resume(&bad, img.data, z.data, z.len, &r), OTA_ERR_DELTA_RESULT);
    buf_free(&r.out);
    bad = cps[1];
    bad.in_off += 1;
    assert_int_not_equal(resume(&bad, img.data, z.data, z.len, &r), 0);
    buf_free(&r.out);
    img.data[5] ^= 1;  /* a prefix byte that is not the image's */
    assert_int_not_equal(resume(&cps[1], img.data, z.data, z.len, &r), 0);
    img.data[5] ^= 1;
    buf_free(&r.out);
    buf_free(&s.out);
    free(z.data);
    free(whole.data);
    buf_free(&img);
}

/* Versions 1 and 2 (the older literal model) are refused before any
 * output, not decoded into a wrong image. */
static void test_old_versions_refused(void **state)
{
    (void)state;
    struct buf img = sample();
    struct delta_buf z = {0};
    struct sink s;
    assert_int_equal(cz_compress_sync(img.data, img.len, 1u << 20, &z), 0);
    for (uint8_t v = 1; v <= 2; v++) {
        z.data[4] = v;
        assert_int_equal(decode(z.data, z.len, 512, &s), OTA_ERR_DELTA_VERSION);
        assert_int_equal(s.out.len, 0);
        buf_free(&s.out);
    }
    free(z.data);
    buf_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_fits_16k),
        cmocka_unit_test(test_roundtrip_any_chunk),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_sync_points_resume),
        cmocka_unit_test(test_old_versions_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
