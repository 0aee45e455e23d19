/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the breaching periods the Alarms page marks (viewer/alarm_breach.c): operator
 * names, each comparison at and around the threshold, runs split by good values and by missing
 * periods, the inferred period, and a too-small output array.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "alarm_breach.h"

#define MIN_MS 60000

static void test_parse_known_operators(void **state)
{
    (void)state;
    enum st_alarm_cmp cmp = ST_ALARM_CMP_LT;
    assert_int_equal(st_alarm_cmp_parse("GreaterThanOrEqualToThreshold", &cmp), 0);
    assert_int_equal(cmp, ST_ALARM_CMP_GE);
    assert_int_equal(st_alarm_cmp_parse("GreaterThanThreshold", &cmp), 0);
    assert_int_equal(cmp, ST_ALARM_CMP_GT);
    assert_int_equal(st_alarm_cmp_parse("LessThanThreshold", &cmp), 0);
    assert_int_equal(cmp, ST_ALARM_CMP_LT);
    assert_int_equal(st_alarm_cmp_parse("LessThanOrEqualToThreshold", &cmp), 0);
    assert_int_equal(cmp, ST_ALARM_CMP_LE);
}

static void test_parse_rejects_others_and_keeps_output(void **state)
{
    (void)state;
    enum st_alarm_cmp cmp = ST_ALARM_CMP_LE;
    assert_int_equal(st_alarm_cmp_parse(NULL, &cmp), -EINVAL);
    assert_int_equal(st_alarm_cmp_parse("", &cmp), -EINVAL);
    assert_int_equal(st_alarm_cmp_parse("greaterthanthreshold", &cmp), -EINVAL);
    assert_int_equal(st_alarm_cmp_parse("LessThanLowerOrGreaterThanUpperThreshold", &cmp), -EINVAL);
    assert_int_equal(cmp, ST_ALARM_CMP_LE);
}

static void test_comparisons_at_the_threshold(void **state)
{
    (void)state;
    assert_true(st_alarm_breaches(ST_ALARM_CMP_GE, 5, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_GT, 5, 5));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_GT, 5.001, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_LT, 5, 5));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_LT, 4.999, 5));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_LE, 5, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_LE, 6, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_GE, 4, 5));
}

static void test_nan_never_breaches(void **state)
{
    (void)state;
    assert_false(st_alarm_breaches(ST_ALARM_CMP_GE, NAN, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_LE, NAN, 5));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_GE, 5, NAN));
}

static void test_runs_split_by_good_values(void **state)
{
    (void)state;
    /* 0 X X 0 X at one-minute periods. */
    int64_t ts[] = {0, MIN_MS, 2 * MIN_MS, 3 * MIN_MS, 4 * MIN_MS};
    double vs[] = {1, 9, 9, 1, 9};
    struct st_breach_span out[5];
    size_t n = st_alarm_breach_spans(ts, vs, 5, MIN_MS, ST_ALARM_CMP_GT, 5, out, 5);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].t0_ms, MIN_MS);
    assert_int_equal(out[0].t1_ms, 3 * MIN_MS);
    assert_int_equal(out[1].t0_ms, 4 * MIN_MS);
    assert_int_equal(out[1].t1_ms, 5 * MIN_MS);
}

static void test_missing_period_ends_a_run(void **state)
{
    (void)state;
    /* X X - X: the gap is not painted. */
    int64_t ts[] = {0, MIN_MS, 3 * MIN_MS};
    double vs[] = {9, 9, 9};
    struct st_breach_span out[3];
    size_t n = st_alarm_breach_spans(ts, vs, 3, MIN_MS, ST_ALARM_CMP_GE, 9, out, 3);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].t0_ms, 0);
    assert_int_equal(out[0].t1_ms, 2 * MIN_MS);
    assert_int_equal(out[1].t0_ms, 3 * MIN_MS);
    assert_int_equal(out[1].t1_ms, 4 * MIN_MS);
}

static void test_less_than_marks_low_values(void **state)
{
    (void)state;
    int64_t ts[] = {0, 10000, 20000, 30000};
    double vs[] = {1, 2, 8, 1};
    struct st_breach_span out[4];
    size_t n = st_alarm_breach_spans(ts, vs, 4, 10000, ST_ALARM_CMP_LT, 3, out, 4);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].t0_ms, 0);
    assert_int_equal(out[0].t1_ms, 20000);
    assert_int_equal(out[1].t0_ms, 30000);
    assert_int_equal(out[1].t1_ms, 40000);
}

static void test_period_inferred_from_the_smallest_gap(void **state)
{
    (void)state;
    int64_t ts[] = {0, 300000, 600000, 1200000};
    double vs[] = {9, 9, 9, 9};
    struct st_breach_span out[4];
    size_t n = st_alarm_breach_spans(ts, vs, 4, 0, ST_ALARM_CMP_GT, 5, out, 4);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].t1_ms, 900000);
    assert_int_equal(out[1].t0_ms, 1200000);
    assert_int_equal(out[1].t1_ms, 1500000);
}

static void test_single_point_uses_a_minute(void **state)
{
    (void)state;
    int64_t ts[] = {120000};
    double vs[] = {9};
    struct st_breach_span out[1];
    assert_int_equal(st_alarm_breach_spans(ts, vs, 1, -1, ST_ALARM_CMP_GT, 5, out, 1), 1);
    assert_int_equal(out[0].t0_ms, 120000);
    assert_int_equal(out[0].t1_ms, 180000);
}

static void test_counts_beyond_max_without_writing(void **state)
{
    (void)state;
    int64_t ts[] = {0, MIN_MS, 2 * MIN_MS, 3 * MIN_MS, 4 * MIN_MS};
    double vs[] = {9, 1, 9, 1, 9};
    struct st_breach_span out[2] = {{-1, -1}, {-1, -1}};
    assert_int_equal(st_alarm_breach_spans(ts, vs, 5, MIN_MS, ST_ALARM_CMP_GT, 5, out, 1), 3);
    assert_int_equal(out[0].t0_ms, 0);
    assert_int_equal(out[1].t0_ms, -1);
}

static void test_no_data_no_spans(void **state)
{
    (void)state;
    struct st_breach_span out[1];
    assert_int_equal(st_alarm_breach_spans(NULL, NULL, 0, MIN_MS, ST_ALARM_CMP_GT, 5, out, 1), 0);
    int64_t ts[] = {0};
    double vs[] = {1};
    assert_int_equal(st_alarm_breach_spans(ts, vs, 1, MIN_MS, ST_ALARM_CMP_GT, 5, out, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_known_operators),
        cmocka_unit_test(test_parse_rejects_others_and_keeps_output),
        cmocka_unit_test(test_comparisons_at_the_threshold),
        cmocka_unit_test(test_nan_never_breaches),
        cmocka_unit_test(test_runs_split_by_good_values),
        cmocka_unit_test(test_missing_period_ends_a_run),
        cmocka_unit_test(test_less_than_marks_low_values),
        cmocka_unit_test(test_period_inferred_from_the_smallest_gap),
        cmocka_unit_test(test_single_point_uses_a_minute),
        cmocka_unit_test(test_counts_beyond_max_without_writing),
        cmocka_unit_test(test_no_data_no_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
