/* Compressed app images: round trips in any chunk size (1 byte included),
 * matches at long distances read back from the output only, hostile inputs
 * (truncated at every length class, trailing bytes, unknown version and
 * flags, flipped bits) fail with named errors and never with a wrong image
 * reported as good; the state fits the applier's 16 KiB; the Xtensa code
 * transform round-trips and resumes. */
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

/* An Xtensa app image whose code is a few function bodies repeated at many
 * addresses: their CALL8s reach 16 functions and their L32Rs 32 literals,
 * so the same call has other offset bytes at each place. 2- and 3-byte
 * instructions, as the sweep parses them. */
#define XT_SEG_ADDR 0x400D0020u
#define XT_SEG_LEN 60000u
static struct buf xtensa_image(void)
{
    struct buf b = {0};
    uint8_t h[24 + 8] = {0xE9, 1};
    h[28] = (uint8_t)XT_SEG_LEN, h[29] = (uint8_t)(XT_SEG_LEN >> 8); /* segment 0: header at 24 */
    h[24] = (uint8_t)XT_SEG_ADDR, h[25] = (uint8_t)(XT_SEG_ADDR >> 8);
    h[26] = (uint8_t)(XT_SEG_ADDR >> 16), h[27] = (uint8_t)(XT_SEG_ADDR >> 24);
    assert_int_equal(buf_emit(&b, h, sizeof(h)), 0);
    uint32_t seed = 12345, at = 0, lits = XT_SEG_ADDR + 4u; /* literals at the segment's start */
    uint8_t code[XT_SEG_LEN];
    memset(code, 0, sizeof(code));
    at = 32 * 4 + 4;
    while (at + 40 <= XT_SEG_LEN) {
        seed = seed * 1103515245u + 12345u;
        unsigned body = (seed >> 16) % 8u;
        for (unsigned i = 0; i < 10; i++) {
            uint32_t pc = XT_SEG_ADDR + at, w;
            switch ((body + i) % 4) {
            case 0: /* CALL8 to function (body + i) % 16, at the segment's end */
                w = 0x25u | (((XT_SEG_ADDR + XT_SEG_LEN - 4096u + 256u * ((body + i) % 16u) - (pc & ~3u) - 4u) >> 2) & 0x3FFFFu) << 6;
                break;
            case 1: /* L32R of literal (body * 3 + i) % 32 */
                w = 0x31u | (((lits + 4u * ((body * 3u + i) % 32u) - ((pc + 3u) & ~3u)) >> 2) & 0xFFFFu) << 8;
                break;
            case 2: /* a 2-byte one (op0 13) */
                code[at++] = 0x1d, code[at++] = (uint8_t)(0xf0 + body);
                continue;
            default:
                w = 0x202130u + body;
            }
            code[at] = (uint8_t)w, code[at + 1] = (uint8_t)(w >> 8), code[at + 2] = (uint8_t)(w >> 16);
            at += 3;
        }
    }
    assert_int_equal(buf_emit(&b, code, sizeof(code)), 0);
    return b;
}

/* The transform: flagged on an image with code, and worth it there; the
 * image comes back byte for byte in any chunk size, and from every sync
 * point (instructions straddle them); images without code are not
 * flagged; a flag on output that does not start as an app image (byte 0
 * 0xE9) is a corrupt stream. */
static void test_xtensa_code(void **state)
{
    (void)state;
    struct buf img = xtensa_image();
    struct delta_buf on = {0}, off = {0}, synced = {0};
    struct sink s, r;
    assert_int_equal(cz_compress_code(img.data, img.len, 1u << 20, 1, &on), 0);
    assert_int_equal(cz_compress_code(img.data, img.len, 1u << 20, 0, &off), 0);
    assert_int_equal(on.data[5], OTA_CZ_FLAG_XTENSA);
    assert_int_equal(off.data[5], 0);
    assert_true(on.len * 10 < off.len * 7); /* the calls and loads of a body are the same bytes everywhere */
    static const size_t chunks[] = {1, 61, 1u << 20};
    for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
        assert_int_equal(decode(on.data, on.len, chunks[k], &s), 0);
        assert_true(s.out.len == img.len && memcmp(s.out.data, img.data, img.len) == 0);
        buf_free(&s.out);
    }
    struct ota_delta_checkpoint cps[16];
    size_t n = 0;
    assert_int_equal(cz_compress_code(img.data, img.len, 4096, 1, &synced), 0);
    assert_int_equal(synced.data[5], OTA_CZ_FLAG_XTENSA);
    assert_int_equal(decode_checkpoints(synced.data, synced.len, 333, &s, cps, &n), 0);
    assert_true(s.out.len == img.len && memcmp(s.out.data, img.data, img.len) == 0);
    assert_int_equal(n, img.len / 4096);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(resume(&cps[k], img.data, synced.data, synced.len, &r), 0);
        assert_true(r.out.len == img.len && memcmp(r.out.data, img.data, img.len) == 0);
        buf_free(&r.out);
    }
    buf_free(&s.out);
    /* the flag on a RISC-V chip's image, an image with no code, or no image at all */
    struct buf plain = sample();
    struct delta_buf z = {0};
    img.data[12] = (uint8_t)OTA_CHIP_ESP32C3;
    assert_int_equal(cz_compress_code(img.data, img.len, 1u << 20, 1, &z), 0);
    assert_int_equal(z.data[5], 0);
    free(z.data);
    z = (struct delta_buf){0};
    img.data[12] = (uint8_t)OTA_CHIP_ESP32;
    img.data[24 + 3] = 0x3F; /* the segment's address now in data memory */
    assert_int_equal(cz_compress_code(img.data, img.len, 1u << 20, 1, &z), 0);
    assert_int_equal(z.data[5], 0);
    assert_int_equal(decode(z.data, z.len, 4096, &s), 0);
    assert_true(s.out.len == img.len && memcmp(s.out.data, img.data, img.len) == 0);
    buf_free(&s.out);
    free(z.data);
    z = (struct delta_buf){0};
    plain.data[0] = 0x00; /* not an app image: compressed as any file, never flagged */
    assert_int_equal(cz_compress_code(plain.data, plain.len, 1u << 20, 1, &z), 0);
    assert_int_equal(z.data[5], 0);
    z.data[5] = OTA_CZ_FLAG_XTENSA;
    assert_int_equal(decode(z.data, z.len, 4096, &s), OTA_ERR_DELTA_CORRUPT);
    buf_free(&s.out);
    z.data[5] = 0;
    on.data[5] = 0; /* the flag taken away: a wrong image, which the hash refuses */
    assert_int_not_equal(decode(on.data, on.len, 4096, &s), 0);
    buf_free(&s.out);
    free(z.data);
    free(on.data);
    free(off.data);
    free(synced.data);
    buf_free(&plain);
    buf_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_fits_16k),
        cmocka_unit_test(test_roundtrip_any_chunk),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_sync_points_resume),
        cmocka_unit_test(test_xtensa_code),
        cmocka_unit_test(test_old_versions_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
