/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the viewer's data-to-pixel mapping (viewer/plot_map.c): both directions,
 * degenerate ranges, nearest-point lookup for hover, and stacking with gaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "plot_map.h"

static const struct st_plot_map map = {
    .x = 50, .y = 10, .width = 600, .height = 200, .t0_ms = 0, .t1_ms = 60000, .v0 = 0, .v1 = 20};

static void test_corners(void **state)
{
    (void)state;
    assert_true(st_plot_x(&map, 0) == 50.0);
    assert_true(st_plot_x(&map, 60000) == 650.0);
    assert_true(st_plot_y(&map, 0) == 210.0);
    assert_true(st_plot_y(&map, 20) == 10.0);
    assert_true(st_plot_y(&map, 10) == 110.0);
}

static void test_inverse(void **state)
{
    (void)state;
    assert_int_equal(st_plot_t_at(&map, 350), 30000);
    assert_true(st_plot_v_at(&map, 110) == 10.0);
    assert_int_equal(st_plot_t_at(&map, st_plot_x(&map, 12345)), 12345);
}

static void test_degenerate_ranges(void **state)
{
    (void)state;
    struct st_plot_map m = map;
    m.t1_ms = m.t0_ms;
    m.v1 = m.v0;
    assert_true(st_plot_x(&m, 999) == m.x);
    assert_true(st_plot_y(&m, 5) == m.y + m.height);
}

static void test_nearest(void **state)
{
    (void)state;
    int64_t ts[] = {0, 10, 20, 30};
    assert_int_equal(st_plot_nearest(ts, 4, -5), 0);
    assert_int_equal(st_plot_nearest(ts, 4, 14), 1);
    assert_int_equal(st_plot_nearest(ts, 4, 16), 2);
    assert_int_equal(st_plot_nearest(ts, 4, 99), 3);
    assert_int_equal(st_plot_nearest(ts, 0, 5), -1);
}

static void test_stack_with_gaps(void **state)
{
    (void)state;
    int64_t t_a[] = {0, 60, 120};
    double v_a[] = {1, 2, 3};
    int64_t t_b[] = {0, 120, 180};
    double v_b[] = {10, 20, 30};
    struct st_plot_series s[] = {{t_a, v_a, 3}, {t_b, v_b, 3}};
    double top_a[3], top_b[3];
    double *tops[] = {top_a, top_b};
    st_plot_stack(s, 2, tops);
    assert_true(top_a[1] == 2.0);
    assert_true(top_b[0] == 11.0);
    assert_true(top_b[1] == 23.0);
    assert_true(top_b[2] == 30.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corners),           cmocka_unit_test(test_inverse),
        cmocka_unit_test(test_degenerate_ranges), cmocka_unit_test(test_nearest),
        cmocka_unit_test(test_stack_with_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
