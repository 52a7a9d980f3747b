/* The compact model's logistic curve and its inverse: encoder and decoder
 * must predict identically on every machine, so the fast inverse has to be
 * the definition exactly: the least x in -2047..2047 with squash(x) >= p,
 * else 2047. Checked for every p a counter or the order-0 model can give,
 * and well beyond. */
#include "helpers.h"
#include "delta/compact_model.h"

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
        cmocka_unit_test(test_squash_is_monotone_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
