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

/* Datapoints 60, 95, 60 (newest first): Average 71.67, Minimum 60, Maximum 95. */
static void values_of(struct st_scaling_values *v)
{
    *v = (struct st_scaling_values){0};
    st_scaling_values_add(v, 60);
    st_scaling_values_add(v, 95);
    st_scaling_values_add(v, 60);
}

static void test_step_value_aggregations(void **state)
{
    (void)state;
    struct st_scaling_values v;
    values_of(&v);
    double got;
    assert_true(st_scaling_step_value("Average", &v, &got));
    assert_float_equal(got, 215.0 / 3, 1e-9);
    assert_true(st_scaling_step_value("Minimum", &v, &got));
    assert_float_equal(got, 60, 0);
    assert_true(st_scaling_step_value("Maximum", &v, &got));
    assert_float_equal(got, 95, 0);
    assert_int_equal(v.n, 3);
    assert_float_equal(v.newest, 60, 0);
}

static void test_step_value_defaults_to_average(void **state)
{
    (void)state;
    struct st_scaling_values v;
    values_of(&v);
    double got;
    assert_true(st_scaling_step_value(NULL, &v, &got));
    assert_float_equal(got, 215.0 / 3, 1e-9);
}

static void test_step_value_without_datapoints(void **state)
{
    (void)state;
    struct st_scaling_values v = {0};
    double got = -1;
    assert_false(st_scaling_step_value("Maximum", &v, &got));
    assert_float_equal(got, -1, 0);
}

static void test_step_value_one_datapoint(void **state)
{
    (void)state;
    struct st_scaling_values v = {0};
    st_scaling_values_add(&v, -4.5);
    double got;
    const char *aggs[] = {"Average", "Minimum", "Maximum"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(st_scaling_step_value(aggs[i], &v, &got));
        assert_float_equal(got, -4.5, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_and_exact),
        cmocka_unit_test(test_percent_rounding),
        cmocka_unit_test(test_min_adjustment_magnitude),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_step_value_aggregations),
        cmocka_unit_test(test_step_value_defaults_to_average),
        cmocka_unit_test(test_step_value_without_datapoints),
        cmocka_unit_test(test_step_value_one_datapoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
