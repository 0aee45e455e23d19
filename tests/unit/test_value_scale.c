/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the viewer's y scale (viewer/value_scale.c): nice bounds and steps, zero
 * baselines, fixed bounds, empty and flat data, and label formatting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "value_scale.h"

static void test_nice_bounds_from_zero(void **state)
{
    (void)state;
    struct st_value_scale s;
    st_value_scale_compute(3.7, 19, false, 0, false, 0, 6, &s);
    assert_true(s.lo == 0.0);
    assert_true(s.hi == 20.0);
    assert_true(s.step == 4.0 || s.step == 5.0);
    assert_int_equal(s.n_ticks, (int)(20.0 / s.step) + 1);
}

static void test_negative_data(void **state)
{
    (void)state;
    struct st_value_scale s;
    st_value_scale_compute(-13, 42, false, 0, false, 0, 6, &s);
    assert_true(s.lo <= -13);
    assert_true(s.hi >= 42);
    assert_true(fmod(s.lo, s.step) == 0.0);
    assert_true(s.n_ticks <= 6);
}

static void test_fixed_bounds_win(void **state)
{
    (void)state;
    struct st_value_scale s;
    st_value_scale_compute(3, 19, true, 0, true, 100, 6, &s);
    assert_true(s.lo == 0.0);
    assert_true(s.hi == 100.0);
    assert_true(s.step == 20.0);
    assert_int_equal(s.n_ticks, 6);
}

static void test_no_data_is_unit_range(void **state)
{
    (void)state;
    struct st_value_scale s;
    st_value_scale_compute(NAN, NAN, false, 0, false, 0, 5, &s);
    assert_true(s.lo == 0.0);
    assert_true(s.hi == 1.0);
}

static void test_flat_data_gets_a_range(void **state)
{
    (void)state;
    struct st_value_scale s;
    st_value_scale_compute(0, 0, false, 0, false, 0, 5, &s);
    assert_true(s.hi > s.lo);
    st_value_scale_compute(-5, -5, false, 0, false, 0, 5, &s);
    assert_true(s.hi > s.lo);
    assert_true(s.lo <= -5 && s.hi >= -5);
}

static void test_large_values_format_with_suffix(void **state)
{
    (void)state;
    char buf[32];
    st_value_scale_format(1500000, 500000, buf, sizeof(buf));
    assert_string_equal(buf, "1.5M");
    st_value_scale_format(2000, 1000, buf, sizeof(buf));
    assert_string_equal(buf, "2k");
    st_value_scale_format(0, 1000, buf, sizeof(buf));
    assert_string_equal(buf, "0");
}

static void test_small_values_keep_decimals(void **state)
{
    (void)state;
    char buf[32];
    st_value_scale_format(0.25, 0.05, buf, sizeof(buf));
    assert_string_equal(buf, "0.25");
    st_value_scale_format(40, 20, buf, sizeof(buf));
    assert_string_equal(buf, "40");
    st_value_scale_format(-1e-17, 0.5, buf, sizeof(buf));
    assert_string_equal(buf, "0.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nice_bounds_from_zero),
        cmocka_unit_test(test_negative_data),
        cmocka_unit_test(test_fixed_bounds_win),
        cmocka_unit_test(test_no_data_is_unit_range),
        cmocka_unit_test(test_flat_data_gets_a_range),
        cmocka_unit_test(test_large_values_format_with_suffix),
        cmocka_unit_test(test_small_values_keep_decimals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
