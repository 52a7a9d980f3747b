/* The ESP-IDF port's low-speed limit, on a simulated link: each read
 * brings what the asked size and the link's rate allow, and the clock
 * advances by the time that took. Plain C, so checked on the host. */
#include <stdint.h>

#include "helpers.h"
#include "idf_pace.h"
#include "ota/error.h"

/* Read `total` bytes from a link of `bps` bytes a second (after `fast_bytes`
 * at full speed) in reads of up to 4096; returns the error and sets
 * *at_ms to the simulated time it came at, *got to the bytes read. */
static int run_link(uint32_t bps, uint64_t fast_bytes, uint64_t total, uint32_t *at_ms, uint64_t *got)
{
    struct idf_pace p;
    uint32_t now = 0;
    *got = 0;
    idf_pace_start(&p, 1024, 20000, now);
    while (*got < total) {
        size_t ask = idf_pace_ask(&p, 4096, now);
        assert_true(ask >= 1 && ask <= 4096);
        /* a fast link delivers at once (1 ms); a slow one takes ask / bps */
        uint32_t took = *got < fast_bytes ? 1u : (uint32_t)((uint64_t)ask * 1000u / bps);
        now += took ? took : 1;
        *got += ask;
        int err = idf_pace_got(&p, ask, now);
        if (err) {
            *at_ms = now;
            return err;
        }
    }
    *at_ms = now;
    return OTA_OK;
}

static void a_fast_link_is_never_stopped_and_asks_big(void **state)
{
    (void)state;
    uint32_t at;
    uint64_t got;
    assert_int_equal(run_link(1, UINT64_MAX, 16u << 20, &at, &got), OTA_OK);
    assert_true(got >= 16u << 20);
    /* 16 MiB in reads that grew to IDF_PACE_ASK_MAX: few reads, so little time */
    assert_true(at < (16u << 20) / IDF_PACE_ASK_MAX + 64);
}

static void a_trickle_is_stopped_soon_after_its_window(void **state)
{
    (void)state;
    uint32_t at;
    uint64_t got;
    /* 20 B/s is below 1024 bytes in 20 s: stopped within a second of the window */
    assert_int_equal(run_link(20, 0, 1u << 20, &at, &got), OTA_ERR_LOW_SPEED);
    assert_true(at >= 20000 && at <= 21000);
}

static void a_link_at_the_limit_goes_on(void **state)
{
    (void)state;
    uint32_t at;
    uint64_t got;
    /* 60 B/s: 1200 bytes in each 20 s window, above the limit */
    assert_int_equal(run_link(60, 0, 10000, &at, &got), OTA_OK);
}

static void a_fast_start_then_a_trickle_is_stopped(void **state)
{
    (void)state;
    uint32_t at;
    uint64_t got;
    /* 1 MiB at once, then 10 B/s: one read of up to IDF_PACE_ASK_MAX bytes
     * may be under way when the window ends; its end stops the transfer */
    assert_int_equal(run_link(10, 1u << 20, 4u << 20, &at, &got), OTA_ERR_LOW_SPEED);
    assert_true(at <= 20000 + IDF_PACE_ASK_MAX * 1000u / 10);
}

static void no_limit_asks_for_everything(void **state)
{
    (void)state;
    struct idf_pace p;
    idf_pace_start(&p, 0, 20000, 0);
    assert_int_equal(idf_pace_ask(&p, 4096, 0), 4096);
    assert_int_equal(idf_pace_got(&p, 1, 1000000), OTA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_fast_link_is_never_stopped_and_asks_big),
        cmocka_unit_test(a_trickle_is_stopped_soon_after_its_window),
        cmocka_unit_test(a_link_at_the_limit_goes_on),
        cmocka_unit_test(a_fast_start_then_a_trickle_is_stopped),
        cmocka_unit_test(no_limit_asks_for_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
