/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the capacity arithmetic of scaling policies: ChangeInCapacity, ExactCapacity,
 * PercentChangeInCapacity with EC2's rounding (fractions toward zero, |change| < 1 becomes 1)
 * and MinAdjustmentMagnitude, and clamping to the group's bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scaling.h"

static void test_change_and_exact(void **state)
{
    (void)state;
    assert_int_equal(st_scaling_adjust("ChangeInCapacity", 2, 3, 0), 5);
    assert_int_equal(st_scaling_adjust("ChangeInCapacity", 2, -5, 0), -3);
    assert_int_equal(st_scaling_adjust("ExactCapacity", 7, 3, 0), 3);
}

static void test_percent_rounding(void **state)
{
    (void)state;
    /* 10 % of 10 is 1; of 15 is 1.5 -> 1; of 2 is 0.2 -> 1; -10 % of 2 is -0.2 -> -1. */
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 10, 10, 0), 11);
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 15, 10, 0), 16);
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 2, 10, 0), 3);
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 2, -10, 0), 1);
    /* -25 % of 10 is -2.5 -> -2. */
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 10, -25, 0), 8);
    /* 0 % changes nothing, even with a magnitude. */
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 10, 0, 3), 10);
}

static void test_min_adjustment_magnitude(void **state)
{
    (void)state;
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 2, 10, 2), 4);
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 10, -10, 3), 7);
    /* A change already larger than the magnitude is kept. */
    assert_int_equal(st_scaling_adjust("PercentChangeInCapacity", 100, 50, 2), 150);
}

static void test_clamp(void **state)
{
    (void)state;
    assert_int_equal(st_scaling_clamp(6, 1, 5), 5);
    assert_int_equal(st_scaling_clamp(-3, 1, 5), 1);
    assert_int_equal(st_scaling_clamp(3, 1, 5), 3);
    assert_int_equal(
        st_scaling_clamp(st_scaling_adjust("ChangeInCapacity", 2147483000, 100000, 0), 0, 100000),
        100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_and_exact),
        cmocka_unit_test(test_percent_rounding),
        cmocka_unit_test(test_min_adjustment_magnitude),
        cmocka_unit_test(test_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
