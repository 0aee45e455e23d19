/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the per-pixel-column line decimation (viewer/line_decimate.c): what is kept
 * of a column (first, lowest, highest, last, in order), that a one-sample spike survives,
 * that the points on either side of a gap are kept with nothing in between, that non-finite
 * values break the line, that sparse lines come through whole, and that the output is never
 * longer than the input.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "line_decimate.h"

#define MAX_POINTS 4096

struct fixture {
    double xs[MAX_POINTS], ys[MAX_POINTS];
    struct st_line_vertex out[MAX_POINTS];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void assert_indices(const struct st_line_vertex *v, size_t n, const size_t *want,
                           size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].index, want[i]);
    }
}

static void test_column_keeps_first_lowest_highest_last_in_order(void **state)
{
    struct fixture *f = *state;
    /* Six points in column 0 (x in [0, 1)): the highest (index 1) comes before the lowest
     * (index 4); 2 and 3 lie between them and go. Then one point in column 1. */
    double xs[] = {0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.2};
    double ys[] = {5, 9, 6, 7, 1, 4, 3};
    size_t n = st_line_decimate(xs, ys, 7, 1.0, f->out);
    size_t want[] = {0, 1, 4, 5, 6};
    assert_indices(f->out, n, want, 5);
    assert_true(f->out[0].move);
    for (size_t i = 1; i < n; i++) {
        assert_false(f->out[i].move);
    }
    /* Kept points are drawn where they were, not snapped to the column. */
    assert_true(f->out[1].x == 0.1);
    assert_true(f->out[1].y == 9.0);
    assert_true(f->out[2].x == 0.7);
    assert_true(f->out[2].y == 1.0);
}

static void test_one_sample_spike_survives(void **state)
{
    struct fixture *f = *state;
    /* 1440 points of a flat line on 270 columns, one of them a spike. */
    size_t n_in = 1440;
    for (size_t i = 0; i < n_in; i++) {
        f->xs[i] = 270.0 * (double)i / (double)n_in;
        f->ys[i] = 100;
    }
    f->ys[777] = 3;
    size_t n = st_line_decimate(f->xs, f->ys, n_in, 1.0, f->out);
    size_t spikes = 0;
    for (size_t i = 0; i < n; i++) {
        if (f->out[i].y == 3.0) {
            assert_int_equal(f->out[i].index, 777);
            spikes++;
        }
    }
    assert_int_equal(spikes, 1);
    /* At most first, lowest, highest and last of each of the 270 columns. */
    assert_true(n <= 4 * 270);
    assert_true(n < n_in);
}

static void test_gap_keeps_both_sides_and_nothing_between(void **state)
{
    struct fixture *f = *state;
    /* Points every 0.25 px, with no data between x = 10 and x = 40 (missing datapoints). */
    size_t n_in = 0;
    for (double x = 0; x < 10; x += 0.25) {
        f->xs[n_in] = x;
        f->ys[n_in++] = x;
    }
    size_t before = n_in - 1;
    for (double x = 40; x < 50; x += 0.25) {
        f->xs[n_in] = x;
        f->ys[n_in++] = 50 - x;
    }
    size_t after = before + 1;
    size_t n = st_line_decimate(f->xs, f->ys, n_in, 1.0, f->out);
    for (size_t i = 0; i < n; i++) {
        assert_false(f->out[i].x > 10 && f->out[i].x < 40);
        if (f->out[i].index == after) {
            /* The segment across the gap is the original one: last before it, first after. */
            assert_int_equal(f->out[i - 1].index, before);
            assert_false(f->out[i].move);
        }
    }
    int seen_before = 0, seen_after = 0;
    for (size_t i = 0; i < n; i++) {
        seen_before += f->out[i].index == before;
        seen_after += f->out[i].index == after;
    }
    assert_int_equal(seen_before, 1);
    assert_int_equal(seen_after, 1);
}

static void test_non_finite_value_breaks_the_line(void **state)
{
    struct fixture *f = *state;
    /* Two points in column 0, a missing value, two in column 0 again and one in column 1. */
    double xs[] = {0.1, 0.2, 0.3, 0.4, 0.5, 1.5};
    double ys[] = {1, 2, NAN, 4, 5, INFINITY};
    size_t n = st_line_decimate(xs, ys, 6, 1.0, f->out);
    size_t want[] = {0, 1, 3, 4};
    assert_indices(f->out, n, want, 4);
    assert_true(f->out[0].move);
    assert_false(f->out[1].move);
    assert_true(f->out[2].move);
    assert_false(f->out[3].move);
}

static void test_sparse_line_comes_through_whole(void **state)
{
    struct fixture *f = *state;
    /* One point per column or fewer: nothing to drop. */
    for (size_t i = 0; i < 60; i++) {
        f->xs[i] = 50.0 + 10.0 * (double)i;
        f->ys[i] = (double)(i % 7);
    }
    size_t n = st_line_decimate(f->xs, f->ys, 60, 1.0, f->out);
    assert_int_equal(n, 60);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f->out[i].index, i);
        assert_true(f->out[i].x == f->xs[i]);
        assert_true(f->out[i].y == f->ys[i]);
    }
}

static void test_half_pixel_columns_at_scale_two(void **state)
{
    struct fixture *f = *state;
    /* At a scale factor of 2 a device column is half a widget pixel: x = 0.1 and 0.6 fall in
     * different columns and both stay, with the two points of each column. */
    double xs[] = {0.1, 0.2, 0.6, 0.7};
    double ys[] = {1, 2, 3, 4};
    size_t n = st_line_decimate(xs, ys, 4, 0.5, f->out);
    size_t want[] = {0, 1, 2, 3};
    assert_indices(f->out, n, want, 4);
}

static void test_output_never_longer_than_input(void **state)
{
    struct fixture *f = *state;
    /* Pseudo-random walk with duplicates and equal values, many points per column. */
    uint32_t seed = 12345;
    for (size_t i = 0; i < MAX_POINTS; i++) {
        seed = seed * 1103515245u + 12345u;
        f->xs[i] = (double)i / 7.0;
        f->ys[i] = (double)((seed >> 16) % 5);
    }
    for (size_t n_in = 0; n_in <= 64; n_in++) {
        size_t n = st_line_decimate(f->xs, f->ys, n_in, 1.0, f->out);
        assert_true(n <= n_in);
        for (size_t i = 1; i < n; i++) {
            assert_true(f->out[i].index > f->out[i - 1].index);
        }
    }
    size_t n = st_line_decimate(f->xs, f->ys, MAX_POINTS, 1.0, f->out);
    assert_true(n <= 4 * (size_t)ceil(MAX_POINTS / 7.0));
}

static void test_no_points_gives_no_vertices(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(st_line_decimate(f->xs, f->ys, 0, 1.0, f->out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_column_keeps_first_lowest_highest_last_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_sample_spike_survives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_keeps_both_sides_and_nothing_between, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_non_finite_value_breaks_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparse_line_comes_through_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_pixel_columns_at_scale_two, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_never_longer_than_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_points_gives_no_vertices, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
