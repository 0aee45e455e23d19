/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the alarm evaluator: every row of DESIGN.md section 4's worked table and of
 * docs/alarms.md's larger table, for each TreatMissingData option and from each starting state
 * (OK, ALARM, INSUFFICIENT_DATA); then the low-sample rule of percentile alarms, late data, and
 * the exact StateReason text and StateReasonData JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "alarm_eval.h"

#define T0   1764774000000LL /* 2025-12-03T15:00:00Z, 10 s aligned */
#define HIGH 90.0
#define LOW  10.0

/* One row: N/M, the range (oldest first; X breaching, 0 not, - missing) and the expected
 * state for missing, ignore, breaching, notBreaching: O, A, I, or K (the state is kept). */
struct row {
    unsigned n, m;
    const char *data;
    const char *want; /* 4 letters */
};

static const struct row design_rows[] = {
    {3, 3, "0 - X - X", "OOOO"}, {3, 3, "0 - - - -", "OOOO"}, {3, 3, "- - - - -", "IKAO"},
    {3, 3, "0 X X - X", "AAAA"}, {3, 3, "- - X - -", "AKAO"}, {3, 2, "0 - X - -", "OOAO"},
    {3, 2, "- - - - 0", "OOAO"}, {3, 2, "- - - X -", "AKAO"},
};

/* docs/alarms.md, "Examples": keep the two in step. */
static const struct row doc_rows[] = {
    {3, 3, "X X X X X", "AAAA"},     {3, 3, "0 0 0 0 0", "OOOO"},
    {3, 3, "X X X - -", "AAAA"},     {3, 3, "X X 0 X X", "OOOO"},
    {3, 3, "- - - - X", "KKAO"},     {3, 3, "- - - X X", "KKAO"},
    {3, 3, "- X - - X", "AKAO"},     {3, 2, "X - X - -", "AAAA"},
    {3, 2, "0 0 X X -", "AAAA"},     {3, 2, "0 - - - X", "OOAO"},
    {3, 1, "- - - - X", "AAAA"},     {3, 1, "0 - - - -", "OOAO"},
    {1, 1, "- - X", "AAAA"},         {1, 1, "X - -", "AAAA"},
    {1, 1, "- - -", "IKAO"},         {2, 2, "- - X -", "AKAO"},
    {2, 2, "- - - X", "KKAO"},       {5, 3, "0 - - X - - -", "OOAO"},
    {5, 3, "- X - X - X -", "AAAA"}, {5, 5, "- - X X X - -", "AKAO"},
};

static const enum st_alarm_missing modes[4] = {ST_ALARM_MISSING_MISSING, ST_ALARM_MISSING_IGNORE,
                                               ST_ALARM_MISSING_BREACHING,
                                               ST_ALARM_MISSING_NOT_BREACHING};

static size_t parse_points(const char *data, struct st_alarm_point *pts, size_t cap)
{
    size_t n = 0;
    for (const char *c = data; *c; c++) {
        if (*c == ' ') {
            continue;
        }
        assert_true(n < cap);
        pts[n] = (struct st_alarm_point){.t_ms = T0 + (int64_t)n * 10000};
        if (*c != '-') {
            pts[n].present = true;
            pts[n].value = *c == 'X' ? HIGH : LOW;
            pts[n].sample_count = 10;
        }
        n++;
    }
    return n;
}

static struct st_alarm_eval_in base_in(const struct st_alarm_point *pts, size_t n_pts)
{
    return (struct st_alarm_eval_in){
        .n = 3,
        .m = 3,
        .threshold = 50,
        .cmp = ST_ALARM_CMP_GT,
        .period_s = 10,
        .statistic = "Average",
        .points = pts,
        .n_points = n_pts,
        .query_ms = T0 + 60000,
    };
}

static enum st_alarm_state want_state(char w, enum st_alarm_state from)
{
    switch (w) {
    case 'O':
        return ST_ALARM_STATE_OK;
    case 'A':
        return ST_ALARM_STATE_ALARM;
    case 'I':
        return ST_ALARM_STATE_INSUFFICIENT_DATA;
    default:
        return from;
    }
}

static void check_rows(const struct row *rows, size_t n_rows)
{
    static const enum st_alarm_state starts[3] = {ST_ALARM_STATE_OK, ST_ALARM_STATE_ALARM,
                                                  ST_ALARM_STATE_INSUFFICIENT_DATA};
    for (size_t r = 0; r < n_rows; r++) {
        struct st_alarm_point pts[16];
        size_t n_pts = parse_points(rows[r].data, pts, 16);
        assert_int_equal(n_pts, st_alarm_eval_range(rows[r].n));
        for (int mode = 0; mode < 4; mode++) {
            for (int s = 0; s < 3; s++) {
                struct st_alarm_eval_in in = base_in(pts, n_pts);
                in.n = rows[r].n;
                in.m = rows[r].m;
                in.missing = modes[mode];
                in.state = starts[s];
                struct st_alarm_eval_out out;
                assert_int_equal(st_alarm_eval(&in, &out), 0);
                enum st_alarm_state want = want_state(rows[r].want[mode], starts[s]);
                if (out.state != want) {
                    fail_msg("%u/%u '%s' %s from %s: got %s, want %s", rows[r].n, rows[r].m,
                             rows[r].data, st_alarm_missing_name(modes[mode]),
                             st_alarm_state_name(starts[s]), st_alarm_state_name(out.state),
                             st_alarm_state_name(want));
                }
                assert_int_equal(out.changed, want != starts[s]);
                if (out.changed) {
                    assert_true(strlen(out.reason) > 0);
                    json_object *j = json_tokener_parse(out.reason_data);
                    assert_non_null(j);
                    json_object_put(j);
                } else {
                    assert_string_equal(out.reason, "");
                }
            }
        }
    }
}

static void test_design_table(void **state)
{
    (void)state;
    check_rows(design_rows, sizeof(design_rows) / sizeof(design_rows[0]));
}

static void test_doc_table(void **state)
{
    (void)state;
    check_rows(doc_rows, sizeof(doc_rows) / sizeof(doc_rows[0]));
}

static void test_comparison_operators(void **state)
{
    (void)state;
    assert_true(st_alarm_breaches(ST_ALARM_CMP_GE, 50, 50));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_GT, 50, 50));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_GT, 50.1, 50));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_LE, 50, 50));
    assert_false(st_alarm_breaches(ST_ALARM_CMP_LT, 50, 50));
    assert_true(st_alarm_breaches(ST_ALARM_CMP_LT, 49.9, 50));
    /* A LessThan alarm on the same range: the low values breach. */
    struct st_alarm_point pts[5];
    size_t n = parse_points("0 0 0 X X", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.cmp = ST_ALARM_CMP_LT;
    in.m = 1;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_ALARM);
    in.m = 2;
    in.state = ST_ALARM_STATE_ALARM;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_OK);
}

static void test_low_sample_limits(void **state)
{
    (void)state;
    assert_float_equal(st_alarm_low_sample_limit(0.99), 1000, 1e-6);
    assert_float_equal(st_alarm_low_sample_limit(0.9), 100, 1e-6);
    assert_float_equal(st_alarm_low_sample_limit(0.5), 20, 1e-6);
    assert_float_equal(st_alarm_low_sample_limit(0.1), 100, 1e-6);
}

static void test_low_sample_percentile_ignore_keeps_state(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("X X X X X", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.percentile = true;
    in.quantile = 0.99;
    in.statistic = "p99";
    in.low_sample_ignore = true;
    in.state = ST_ALARM_STATE_OK;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0); /* 10 samples < 1000 */
    assert_int_equal(out.state, ST_ALARM_STATE_OK);
    assert_false(out.changed);
    for (size_t i = 0; i < n; i++) {
        pts[i].sample_count = 1000;
    }
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_ALARM);
    assert_non_null(strstr(out.reason_data, "\"extendedStatistic\":\"p99\""));
}

static void test_low_sample_percentile_evaluate(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("X X X X X", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.percentile = true;
    in.quantile = 0.99;
    in.statistic = "p99";
    in.state = ST_ALARM_STATE_OK;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_ALARM);
}

static void test_late_datapoint_counts_next_time(void **state)
{
    (void)state;
    /* First evaluation: the newest period has no data yet; 3/3 missing keeps OK. */
    struct st_alarm_point pts[5];
    size_t n = parse_points("0 0 X X -", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.state = ST_ALARM_STATE_OK;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_OK);
    assert_false(out.changed);
    /* The datapoint arrives late; the same range now has it. */
    pts[4] = (struct st_alarm_point){
        .t_ms = pts[4].t_ms, .present = true, .value = HIGH, .sample_count = 3};
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_ALARM);
}

static void test_reason_text_alarm(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("0 X X - X", pts, 5);
    pts[4].value = 99.5;
    struct st_alarm_eval_in in = base_in(pts, n);
    in.state = ST_ALARM_STATE_OK;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_string_equal(out.reason,
                        "Threshold Crossed: 3 out of the last 3 datapoints [99.5 (03/12/25 "
                        "15:00:40), 90.0 (03/12/25 15:00:20), 90.0 (03/12/25 15:00:10)] were "
                        "greater than the threshold (50.0) (minimum 3 datapoints for OK -> "
                        "ALARM transition).");
    assert_string_equal(
        out.reason_data,
        "{\"version\":\"1.0\",\"queryDate\":\"2025-12-03T15:01:00.000+0000\",\"startDate\":"
        "\"2025-12-03T15:00:00.000+0000\",\"statistic\":\"Average\",\"period\":10,"
        "\"recentDatapoints\":[10.0,90.0,90.0,99.5],\"threshold\":50.0,\"evaluatedDatapoints\":"
        "[{\"timestamp\":\"2025-12-03T15:00:40.000+0000\",\"sampleCount\":10.0,\"value\":99.5},"
        "{\"timestamp\":\"2025-12-03T15:00:20.000+0000\",\"sampleCount\":10.0,\"value\":90.0},"
        "{\"timestamp\":\"2025-12-03T15:00:10.000+0000\",\"sampleCount\":10.0,\"value\":90.0}]}");
}

static void test_reason_text_ok_and_fill(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("- - - - 0", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.m = 2;
    in.missing = ST_ALARM_MISSING_NOT_BREACHING;
    in.state = ST_ALARM_STATE_ALARM;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_OK);
    assert_string_equal(out.reason,
                        "Threshold Crossed: 1 out of the last 1 datapoints [10.0 (03/12/25 "
                        "15:00:40)] was not greater than the threshold (50.0) (minimum 2 "
                        "datapoints for ALARM -> OK transition). 2 missing datapoints were "
                        "treated as [NotBreaching].");
    /* The two filled periods appear with their timestamp only. */
    assert_non_null(strstr(out.reason_data, "{\"timestamp\":\"2025-12-03T15:00:30.000+0000\"}"));
    assert_non_null(strstr(out.reason_data, "{\"timestamp\":\"2025-12-03T15:00:20.000+0000\"}"));
    assert_null(strstr(out.reason_data, "15:00:10.000"));
}

static void test_reason_text_insufficient(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("- - - - -", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.state = ST_ALARM_STATE_OK;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_INSUFFICIENT_DATA);
    assert_string_equal(out.reason, "Insufficient Data: 5 datapoints were unknown.");
    in.missing = ST_ALARM_MISSING_BREACHING;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_string_equal(out.reason, "Threshold Crossed: no datapoints were received for 3 periods "
                                    "and 3 missing datapoints were treated as [Breaching].");
}

static void test_reason_data_is_capped(void **state)
{
    (void)state;
    /* A day of 10 s periods: the JSON stays within CloudWatch's 4000 characters and valid. */
    static struct st_alarm_point pts[8642];
    for (size_t i = 0; i < 8642; i++) {
        pts[i] = (struct st_alarm_point){T0 + (int64_t)i * 10000, true, 123.456789, 7};
    }
    struct st_alarm_eval_in in = base_in(pts, 8642);
    in.n = 8640;
    in.m = 8640;
    in.state = ST_ALARM_STATE_INSUFFICIENT_DATA;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), 0);
    assert_int_equal(out.state, ST_ALARM_STATE_ALARM);
    assert_true(strlen(out.reason_data) <= 4000);
    assert_true(strlen(out.reason) < ST_ALARM_REASON_MAX);
    json_object *j = json_tokener_parse(out.reason_data);
    assert_non_null(j);
    json_object_put(j);
}

static void test_bad_settings(void **state)
{
    (void)state;
    struct st_alarm_point pts[5];
    size_t n = parse_points("X X X X X", pts, 5);
    struct st_alarm_eval_in in = base_in(pts, n);
    in.m = 4;
    struct st_alarm_eval_out out;
    assert_int_equal(st_alarm_eval(&in, &out), -EINVAL);
    in.m = 0;
    assert_int_equal(st_alarm_eval(&in, &out), -EINVAL);
    in.m = 1;
    in.n_points = 0;
    assert_int_equal(st_alarm_eval(&in, &out), -EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    enum st_alarm_cmp c;
    enum st_alarm_missing m;
    enum st_alarm_state s;
    assert_int_equal(st_alarm_cmp_parse("LessThanOrEqualToThreshold", &c), 0);
    assert_int_equal(c, ST_ALARM_CMP_LE);
    assert_int_equal(st_alarm_cmp_parse("GreaterThan", &c), -EINVAL);
    assert_int_equal(st_alarm_missing_parse("notBreaching", &m), 0);
    assert_int_equal(m, ST_ALARM_MISSING_NOT_BREACHING);
    assert_int_equal(st_alarm_missing_parse("NotBreaching", &m), -EINVAL);
    assert_int_equal(st_alarm_state_parse("INSUFFICIENT_DATA", &s), 0);
    assert_int_equal(s, ST_ALARM_STATE_INSUFFICIENT_DATA);
    assert_int_equal(st_alarm_state_parse(NULL, &s), -EINVAL);
    char buf[32];
    st_alarm_format_double(50, buf, sizeof(buf));
    assert_string_equal(buf, "50.0");
    st_alarm_format_double(0.1, buf, sizeof(buf));
    assert_string_equal(buf, "0.1");
    st_alarm_format_double(-3.25, buf, sizeof(buf));
    assert_string_equal(buf, "-3.25");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_table),
        cmocka_unit_test(test_doc_table),
        cmocka_unit_test(test_comparison_operators),
        cmocka_unit_test(test_low_sample_limits),
        cmocka_unit_test(test_low_sample_percentile_ignore_keeps_state),
        cmocka_unit_test(test_low_sample_percentile_evaluate),
        cmocka_unit_test(test_late_datapoint_counts_next_time),
        cmocka_unit_test(test_reason_text_alarm),
        cmocka_unit_test(test_reason_text_ok_and_fill),
        cmocka_unit_test(test_reason_text_insufficient),
        cmocka_unit_test(test_reason_data_is_capped),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
