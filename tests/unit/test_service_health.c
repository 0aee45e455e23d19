/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of service map node health (viewer/service_health.c): shares from X-Ray's
 * counts, throttles inside errors, inconsistent totals, and the ring's arcs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "service_health.h"

static void test_shares_split_errors_from_throttles(void **state)
{
    (void)state;
    struct st_health h;
    st_health_compute(6, 3, 1, 1, 10, &h);
    assert_int_equal(h.total, 10);
    assert_true(fabs(h.share[ST_HEALTH_OK] - 0.6) < 1e-9);
    assert_true(fabs(h.share[ST_HEALTH_ERROR] - 0.2) < 1e-9);
    assert_true(fabs(h.share[ST_HEALTH_THROTTLE] - 0.1) < 1e-9);
    assert_true(fabs(h.share[ST_HEALTH_FAULT] - 0.1) < 1e-9);
}

static void test_no_requests_no_shares(void **state)
{
    (void)state;
    struct st_health h;
    st_health_compute(0, 0, 0, 0, 0, &h);
    assert_int_equal(h.total, 0);
    for (int k = 0; k < ST_HEALTH_N; k++) {
        assert_true(h.share[k] == 0);
    }
}

static void test_counts_above_the_total_never_exceed_one(void **state)
{
    (void)state;
    struct st_health h;
    st_health_compute(5, 2, 5, -3, 4, &h);
    /* Throttles are errors: 5 errors, 0 faults, 5 ok: total 10. */
    assert_int_equal(h.total, 10);
    double sum = 0;
    for (int k = 0; k < ST_HEALTH_N; k++) {
        assert_true(h.share[k] >= 0);
        sum += h.share[k];
    }
    assert_true(fabs(sum - 1) < 1e-9);
    assert_true(fabs(h.share[ST_HEALTH_THROTTLE] - 0.5) < 1e-9);
}

static void test_arcs_follow_each_other_around_the_ring(void **state)
{
    (void)state;
    struct st_health h;
    st_health_compute(3, 0, 0, 1, 4, &h);
    double a0, a1, b0, b1;
    st_health_arc(&h, ST_HEALTH_OK, -M_PI / 2, &a0, &a1);
    st_health_arc(&h, ST_HEALTH_FAULT, -M_PI / 2, &b0, &b1);
    assert_true(fabs(a0 + M_PI / 2) < 1e-9);
    assert_true(fabs((a1 - a0) - 1.5 * M_PI) < 1e-9);
    assert_true(fabs(b0 - a1) < 1e-9);
    assert_true(fabs(b1 - (3 * M_PI / 2)) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_split_errors_from_throttles),
        cmocka_unit_test(test_no_requests_no_shares),
        cmocka_unit_test(test_counts_above_the_total_never_exceed_one),
        cmocka_unit_test(test_arcs_follow_each_other_around_the_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
