/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the viewer's time-axis ticks (viewer/time_axis.c): the step ladder, tick
 * alignment in local time, labels, and unusable input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "time_axis.h"

/* 2026-12-03T00:00:00Z */
#define DAY0 1764720000000LL
#define H    3600000LL

static void test_step_keeps_min_spacing(void **state)
{
    (void)state;
    /* 1 h over 600 px, 80 px apart: 480 s wanted -> 10 min. */
    assert_int_equal(st_time_axis_step_ms(H, 600, 80), 600000);
    /* 1 week over 1000 px: 1 day. */
    assert_int_equal(st_time_axis_step_ms(7 * 24 * H, 1000, 80), 86400000);
    /* 60 s over 600 px: 10 s. */
    assert_int_equal(st_time_axis_step_ms(60000, 600, 80), 10000);
}

static void test_step_rejects_bad_input(void **state)
{
    (void)state;
    assert_int_equal(st_time_axis_step_ms(0, 600, 80), 0);
    assert_int_equal(st_time_axis_step_ms(H, 0.5, 80), 0);
    assert_int_equal(st_time_axis_step_ms(-H, 600, 80), 0);
}

static void test_ticks_align_to_step(void **state)
{
    (void)state;
    struct st_time_tick t[ST_TIME_AXIS_MAX_TICKS];
    /* 13:07 .. 14:07 over 600 px: 10-minute ticks from 13:10. */
    size_t n = st_time_axis_ticks(DAY0 + 13 * H + 7 * 60000, DAY0 + 14 * H + 7 * 60000, 600, 80, 0,
                                  t, ST_TIME_AXIS_MAX_TICKS);
    assert_int_equal(n, 6);
    assert_int_equal(t[0].t_ms, DAY0 + 13 * H + 10 * 60000);
    assert_string_equal(t[0].label, "13:10");
    assert_string_equal(t[5].label, "14:00");
}

static void test_ticks_in_local_time(void **state)
{
    (void)state;
    struct st_time_tick t[ST_TIME_AXIS_MAX_TICKS];
    /* UTC+01:00: 6-hour ticks land on local 06:00, 12:00 ... */
    size_t n = st_time_axis_ticks(DAY0, DAY0 + 24 * H, 400, 80, 3600, t, ST_TIME_AXIS_MAX_TICKS);
    assert_true(n >= 3);
    assert_int_equal(t[0].t_ms, DAY0 + 5 * H);
    assert_string_equal(t[0].label, "06:00");
}

static void test_midnight_shows_date(void **state)
{
    (void)state;
    struct st_time_tick t[ST_TIME_AXIS_MAX_TICKS];
    size_t n =
        st_time_axis_ticks(DAY0 - 3 * H, DAY0 + 3 * H, 600, 80, 0, t, ST_TIME_AXIS_MAX_TICKS);
    assert_true(n > 0);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].t_ms == DAY0) {
            assert_string_equal(t[i].label, "Dec 03");
            found = 1;
        }
    }
    assert_int_equal(found, 1);
}

static void test_seconds_labels(void **state)
{
    (void)state;
    struct st_time_tick t[ST_TIME_AXIS_MAX_TICKS];
    size_t n = st_time_axis_ticks(DAY0 + 5000, DAY0 + 65000, 600, 80, 0, t, ST_TIME_AXIS_MAX_TICKS);
    assert_int_equal(n, 6);
    assert_string_equal(t[0].label, "00:00:10");
}

static void test_ticks_capped_by_max(void **state)
{
    (void)state;
    struct st_time_tick t[3];
    size_t n = st_time_axis_ticks(DAY0, DAY0 + 24 * H, 10000, 10, 0, t, 3);
    assert_int_equal(n, 3);
}

static void test_reversed_range_has_no_ticks(void **state)
{
    (void)state;
    struct st_time_tick t[4];
    assert_int_equal(st_time_axis_ticks(DAY0 + H, DAY0, 600, 80, 0, t, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_keeps_min_spacing),
        cmocka_unit_test(test_step_rejects_bad_input),
        cmocka_unit_test(test_ticks_align_to_step),
        cmocka_unit_test(test_ticks_in_local_time),
        cmocka_unit_test(test_midnight_shows_date),
        cmocka_unit_test(test_seconds_labels),
        cmocka_unit_test(test_ticks_capped_by_max),
        cmocka_unit_test(test_reversed_range_has_no_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
