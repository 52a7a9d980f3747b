/* The compact model's logistic curve and its inverse: encoder and decoder
 * must predict identically on every machine, so the fast inverse has to be
 * the definition exactly: the least x in -2047..2047 with squash(x) >= p,
 * else 2047. Checked for every p a counter or the order-0 model can give,
 * and well beyond. */
#include "helpers.h"
#include "delta/compact_model.h"

/* The compressed-image model's header wants its coder declared first; its
 * stretch table is all this file reads of it. */
struct cz_io {
    int unused;
};
static inline int cz_bit(struct cz_io *io, unsigned p0, int bit)
{
    (void)io, (void)p0;
    return bit;
}
#include "compress/cz_model.h"

static int stretch_by_definition(int p)
{
    for (int x = -2047; x <= 2047; x++) {
        if (cm_squash(x) >= p) {
            return x;
        }
    }
    return 2047;
}

static void test_stretch_is_the_least_x_reaching_p(void **state)
{
    (void)state;
    for (int p = -100; p <= 4200; p++) {
        int want = stretch_by_definition(p), got = cm_stretch(p);
        if (got != want) {
            fail_msg("cm_stretch(%d) = %d, the definition gives %d", p, got, want);
        }
    }
}

/* The table builds optimised for speed look stretches up in. */
static void test_stretch_table_is_cm_stretch(void **state)
{
    (void)state;
    for (int p = 0; p < 4096; p++) {
        assert_int_equal(cm_st(p), cm_stretch(p));
#if CM_FAST
        assert_int_equal(cm_stretch_tab[p], cm_stretch(p));
#endif
    }
}

/* The compressed-image format's table (docs/compress-format.md): the
 * compact format's stretch at the middle of each 8-wide step. */
static void test_compressed_stretch_table_is_cm_stretch(void **state)
{
    (void)state;
    for (int i = 0; i < 512; i++) {
        assert_int_equal(cz_stretch_tab[i], cm_stretch(i * 8 + 4));
        assert_int_equal(cz_ctr_st((uint16_t)(i << 7)), cm_stretch(i * 8 + 4));
    }
}

/* The models' updates, as the format defines them (the fast forms must
 * compute exactly these). */
static void test_updates_are_the_definitions(void **state)
{
    (void)state;
    static const int div[16] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 14, 14};
    for (unsigned s = 0; s < 65536; s++) {
        for (int bit = 0; bit < 2; bit++) {
            int p = (int)(s >> 4), n = (int)(s & 15);
            p += ((bit << 12) - p) / div[n];
            p = p < 16 ? 16 : p > 4080 ? 4080 : p;
            uint16_t want = (uint16_t)((unsigned)p << 4 | (unsigned)(n < 15 ? n + 1 : 15)), got = (uint16_t)s;
            cm_ctr_update(&got, bit);
            assert_int_equal(got, want);
            if (s < CM_PROB_ONE) {
                ota_delta_prob q = (ota_delta_prob)s;
                cm_update(&q, bit);
                assert_int_equal(q, bit ? s - (s >> CM_RATE) : s + ((CM_PROB_ONE - s) >> CM_RATE));
            }
        }
    }
}

static void test_squash_is_monotone_and_bounded(void **state)
{
    (void)state;
    int prev = cm_squash(-5000);
    assert_int_equal(prev, 1);
    for (int x = -4999; x <= 5000; x++) {
        int p = cm_squash(x);
        assert_true(p >= prev);
        assert_true(p >= 1 && p <= 4094);
        prev = p;
    }
    assert_int_equal(prev, 4094);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stretch_is_the_least_x_reaching_p),
        cmocka_unit_test(test_stretch_table_is_cm_stretch),
        cmocka_unit_test(test_compressed_stretch_table_is_cm_stretch),
        cmocka_unit_test(test_updates_are_the_definitions),
        cmocka_unit_test(test_squash_is_monotone_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
