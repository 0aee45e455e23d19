/* SPDX-License-Identifier: MIT */
/*
 * Tests of the CLI's argument parsing (cli/args.h): the flag table walker, numbers and times
 * that reject junk, the --dimensions syntaxes (Host=a,Api=get and the aws shorthand
 * Name=Host,Value=a) with their limits, and --statistic-values. Each test that gets a
 * dimension list owns it through the fixture, so a failed assert does not leak it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../cli/args.h"
#include "../../cli/cli.h"
#include "stratus/alloc.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct st_args_flag flags[] = {
    {"--namespace", ST_ARGS_ONE},
    {"--statistics", ST_ARGS_MANY},
    {"--value", ST_ARGS_ONE},
};

static int setup_dims(void **state)
{
    static struct st_args_dims dims;
    dims = (struct st_args_dims){0};
    *state = &dims;
    return 0;
}

static int teardown_dims(void **state)
{
    st_args_dims_fini(*state);
    st_alloc_fail_disarm();
    return 0;
}

static void assert_usage(int rc, const struct st_error *err, const char *want_msg)
{
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err->code, ST_CLI_ERR_USAGE);
    if (!strstr(err->message, want_msg)) {
        fail_msg("message '%s' lacks '%s'", err->message, want_msg);
    }
}

/* --- st_args_parse --- */

static void test_parse_one_many_and_equals(void **state)
{
    (void)state;
    char *argv[] = {"--statistics", "Sum", "Average", "--namespace=A/B", "--value", "-5"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_int_equal(st_args_parse(N_ELEMS(argv), argv, flags, N_ELEMS(flags), v, &err), 0);
    assert_true(v[0].seen);
    assert_string_equal(v[0].one, "A/B");
    assert_int_equal(v[1].n_many, 2);
    assert_string_equal(v[1].many[0], "Sum");
    assert_string_equal(v[1].many[1], "Average");
    assert_string_equal(v[2].one, "-5");
}

static void test_parse_many_equals_takes_one_value(void **state)
{
    (void)state;
    char *argv[] = {"--statistics=Sum"};
    struct st_args_value v[3];
    assert_int_equal(st_args_parse(1, argv, flags, N_ELEMS(flags), v, NULL), 0);
    assert_int_equal(v[1].n_many, 1);
    assert_string_equal(v[1].many[0], "Sum");
}

static void test_parse_unknown_flag(void **state)
{
    (void)state;
    char *argv[] = {"--namespac", "x"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_usage(st_args_parse(2, argv, flags, N_ELEMS(flags), v, &err), &err,
                 "unknown option '--namespac'");
}

static void test_parse_flag_twice(void **state)
{
    (void)state;
    char *argv[] = {"--value", "1", "--value", "2"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_usage(st_args_parse(4, argv, flags, N_ELEMS(flags), v, &err), &err,
                 "--value: given more than once");
}

static void test_parse_missing_value(void **state)
{
    (void)state;
    char *argv[] = {"--namespace", "--value", "1"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_usage(st_args_parse(3, argv, flags, N_ELEMS(flags), v, &err), &err,
                 "--namespace: expected one argument");
}

static void test_parse_many_without_values(void **state)
{
    (void)state;
    char *argv[] = {"--statistics"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_usage(st_args_parse(1, argv, flags, N_ELEMS(flags), v, &err), &err,
                 "--statistics: expected at least one argument");
}

static void test_parse_stray_word(void **state)
{
    (void)state;
    char *argv[] = {"--value", "1", "2"};
    struct st_args_value v[3];
    struct st_error err = {{0}};
    assert_usage(st_args_parse(3, argv, flags, N_ELEMS(flags), v, &err), &err,
                 "unexpected argument '2'");
}

/* --- numbers and times --- */

static void test_double_accepts_decimal_forms(void **state)
{
    (void)state;
    double d;
    assert_int_equal(st_args_parse_double("--value", "12", &d, NULL), 0);
    assert_true(d == 12.0);
    assert_int_equal(st_args_parse_double("--value", "-0.5", &d, NULL), 0);
    assert_true(d == -0.5);
    assert_int_equal(st_args_parse_double("--value", "1e3", &d, NULL), 0);
    assert_true(d == 1000.0);
    assert_int_equal(st_args_parse_double("--value", "+.25", &d, NULL), 0);
    assert_true(d == 0.25);
}

static void test_double_rejects_junk(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "1x", " 1",  "1 ",   "0x10", "inf",
                                      "nan", "1e", "--1", "1..2", "e5",   "1,5"};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct st_error err = {{0}};
        double d = 42;
        assert_usage(st_args_parse_double("--value", bad[i], &d, &err), &err,
                     "argument --value: invalid number");
        assert_true(d == 42);
    }
}

static void test_double_rejects_overflow(void **state)
{
    (void)state;
    struct st_error err = {{0}};
    double d;
    assert_usage(st_args_parse_double("--value", "1e999", &d, &err), &err, "out of range");
}

static void test_int_parses_in_range(void **state)
{
    (void)state;
    int64_t n;
    assert_int_equal(st_args_parse_int("--period", "60", 1, 100, &n, NULL), 0);
    assert_int_equal(n, 60);
    assert_int_equal(st_args_parse_int("--period", "-7", -10, 10, &n, NULL), 0);
    assert_int_equal(n, -7);
}

static void test_int_rejects_junk(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "60s", "6.0", "1e2", " 60", "-", "0x3c"};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct st_error err = {{0}};
        int64_t n;
        assert_usage(st_args_parse_int("--period", bad[i], 1, 100, &n, &err), &err,
                     "invalid integer");
    }
}

static void test_int_rejects_out_of_range(void **state)
{
    (void)state;
    struct st_error err = {{0}};
    int64_t n;
    assert_usage(st_args_parse_int("--period", "0", 1, 100, &n, &err), &err, "out of range");
    assert_usage(st_args_parse_int("--period", "99999999999999999999", 1, 100, &n, &err), &err,
                 "out of range");
}

static void test_time_parses_iso_and_epoch(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(st_args_parse_time("--start-time", "2026-11-23T18:00:00Z", &ms, NULL), 0);
    assert_int_equal(ms, 1795456800000LL);
    assert_int_equal(st_args_parse_time("--start-time", "1795456800", &ms, NULL), 0);
    assert_int_equal(ms, 1795456800000LL);
}

static void test_time_rejects_junk(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "yesterday", "2026-13-01", "2026-11-23T25:00:00Z", "2026-11-23T18:00:00Zjunk",
        "17954568OO"};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct st_error err = {{0}};
        int64_t ms;
        assert_usage(st_args_parse_time("--start-time", bad[i], &ms, &err), &err,
                     "argument --start-time: invalid time");
    }
}

/* --- dimensions --- */

static void test_dims_name_value_pairs(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a,Api=get"};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 1, false, 30, d, NULL), 0);
    assert_int_equal(d->n, 2);
    assert_string_equal(d->items[0].name, "Host");
    assert_string_equal(d->items[0].value, "a");
    assert_string_equal(d->items[1].name, "Api");
    assert_string_equal(d->items[1].value, "get");
}

static void test_dims_aws_shorthand(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Name=Host,Value=a", "Value=get,Name=Api"};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 2, false, 30, d, NULL), 0);
    assert_int_equal(d->n, 2);
    assert_string_equal(d->items[0].name, "Host");
    assert_string_equal(d->items[0].value, "a");
    assert_string_equal(d->items[1].name, "Api");
    assert_string_equal(d->items[1].value, "get");
}

static void test_dims_several_words_of_pairs(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a", "Api=get,Stage=prod"};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 2, false, 30, d, NULL), 0);
    assert_int_equal(d->n, 3);
    assert_string_equal(d->items[2].name, "Stage");
}

static void test_dims_value_keeps_equals_and_escapes(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Q=a=b,Path=x\\,y\\\\z"};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 1, false, 30, d, NULL), 0);
    assert_int_equal(d->n, 2);
    assert_string_equal(d->items[0].value, "a=b");
    assert_string_equal(d->items[1].value, "x,y\\z");
}

static void test_dims_empty_name(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a,=b"};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "empty dimension name");
    assert_int_equal(d->n, 0);
}

static void test_dims_empty_shorthand_name(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Name=,Value=a"};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "empty dimension name");
}

static void test_dims_missing_equals(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a,Api"};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "dimension 'Api' has no value");
}

static void test_dims_empty_value(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host="};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "empty value for dimension 'Host'");
}

static void test_dims_trailing_comma(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a,"};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "empty dimension name");
}

static void test_dims_filter_allows_name_only(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Name=Host", "Api", "Stage=prod"};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 3, true, 10, d, NULL), 0);
    assert_int_equal(d->n, 3);
    assert_string_equal(d->items[0].name, "Host");
    assert_null(d->items[0].value);
    assert_string_equal(d->items[1].name, "Api");
    assert_null(d->items[1].value);
    assert_string_equal(d->items[2].value, "prod");
}

static void test_dims_shorthand_needs_value_outside_filters(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Name=Host"};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "dimension 'Host' has no value");
}

static void test_dims_thirty_fit(void **state)
{
    struct st_args_dims *d = *state;
    char buf[30 * 16] = "";
    for (int i = 0; i < 30; i++) {
        char item[16];
        snprintf(item, sizeof(item), "%sD%d=v", i ? "," : "", i);
        strcat(buf, item);
    }
    char *words[] = {buf};
    assert_int_equal(st_args_parse_dims("--dimensions", words, 1, false, 30, d, NULL), 0);
    assert_int_equal(d->n, 30);
}

static void test_dims_more_than_thirty(void **state)
{
    struct st_args_dims *d = *state;
    char buf[31 * 16] = "";
    for (int i = 0; i < 31; i++) {
        char item[16];
        snprintf(item, sizeof(item), "%sD%d=v", i ? "," : "", i);
        strcat(buf, item);
    }
    char *words[] = {buf};
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 1, false, 30, d, &err), &err,
                 "too many dimensions (at most 30)");
    assert_int_equal(d->n, 0);
}

static void test_dims_more_than_thirty_across_words(void **state)
{
    struct st_args_dims *d = *state;
    char names[31][32];
    char *words[31];
    for (int i = 0; i < 31; i++) {
        snprintf(names[i], sizeof(names[i]), "Name=D%d,Value=v", i);
        words[i] = names[i];
    }
    struct st_error err = {{0}};
    assert_usage(st_args_parse_dims("--dimensions", words, 31, false, 30, d, &err), &err,
                 "too many dimensions");
}

static void test_dims_survive_allocation_failure(void **state)
{
    struct st_args_dims *d = *state;
    char *words[] = {"Host=a,Api=get", "Name=Stage,Value=prod"};
    int rc = -ENOMEM;
    for (unsigned long k = 1; rc == -ENOMEM; k++) {
        assert_true(k < 100);
        st_alloc_fail_after(k);
        struct st_error err = {{0}};
        rc = st_args_parse_dims("--dimensions", words, 2, false, 30, d, &err);
        st_alloc_fail_disarm();
        if (rc == -ENOMEM) {
            assert_int_equal(d->n, 0);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(d->n, 3);
}

/* --- statistic values --- */

static void test_stat_set_any_order(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    assert_int_equal(st_args_parse_stat_set("--statistic-values",
                                            "Sum=100,Minimum=10,Maximum=40,SampleCount=4", &s,
                                            NULL),
                     0);
    assert_true(s.sample_count == 4 && s.sum == 100 && s.minimum == 10 && s.maximum == 40);
}

static void test_stat_set_missing_key(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    struct st_error err = {{0}};
    assert_usage(
        st_args_parse_stat_set("--statistic-values", "Sum=1,Minimum=1,Maximum=1", &s, &err), &err,
        "missing SampleCount");
}

static void test_stat_set_unknown_key(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    struct st_error err = {{0}};
    assert_usage(st_args_parse_stat_set("--statistic-values", "Sum=1,Min=1,Maximum=1,SampleCount=1",
                                        &s, &err),
                 &err, "unknown key 'Min'");
}

static void test_stat_set_key_twice(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    struct st_error err = {{0}};
    assert_usage(st_args_parse_stat_set("--statistic-values",
                                        "Sum=1,Sum=2,Minimum=1,Maximum=1,SampleCount=1", &s, &err),
                 &err, "Sum given more than once");
}

static void test_stat_set_bad_number(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    struct st_error err = {{0}};
    assert_usage(st_args_parse_stat_set("--statistic-values",
                                        "Sum=1x,Minimum=1,Maximum=1,SampleCount=1", &s, &err),
                 &err, "--statistic-values Sum: invalid number '1x'");
}

static void test_stat_set_item_without_equals(void **state)
{
    (void)state;
    struct st_args_stat_set s;
    struct st_error err = {{0}};
    assert_usage(st_args_parse_stat_set("--statistic-values", "Sum", &s, &err), &err,
                 "expected KEY=NUMBER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_one_many_and_equals),
        cmocka_unit_test(test_parse_many_equals_takes_one_value),
        cmocka_unit_test(test_parse_unknown_flag),
        cmocka_unit_test(test_parse_flag_twice),
        cmocka_unit_test(test_parse_missing_value),
        cmocka_unit_test(test_parse_many_without_values),
        cmocka_unit_test(test_parse_stray_word),
        cmocka_unit_test(test_double_accepts_decimal_forms),
        cmocka_unit_test(test_double_rejects_junk),
        cmocka_unit_test(test_double_rejects_overflow),
        cmocka_unit_test(test_int_parses_in_range),
        cmocka_unit_test(test_int_rejects_junk),
        cmocka_unit_test(test_int_rejects_out_of_range),
        cmocka_unit_test(test_time_parses_iso_and_epoch),
        cmocka_unit_test(test_time_rejects_junk),
        cmocka_unit_test_setup_teardown(test_dims_name_value_pairs, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_aws_shorthand, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_several_words_of_pairs, setup_dims,
                                        teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_value_keeps_equals_and_escapes, setup_dims,
                                        teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_empty_name, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_empty_shorthand_name, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_missing_equals, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_empty_value, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_trailing_comma, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_filter_allows_name_only, setup_dims,
                                        teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_shorthand_needs_value_outside_filters, setup_dims,
                                        teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_thirty_fit, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_more_than_thirty, setup_dims, teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_more_than_thirty_across_words, setup_dims,
                                        teardown_dims),
        cmocka_unit_test_setup_teardown(test_dims_survive_allocation_failure, setup_dims,
                                        teardown_dims),
        cmocka_unit_test(test_stat_set_any_order),
        cmocka_unit_test(test_stat_set_missing_key),
        cmocka_unit_test(test_stat_set_unknown_key),
        cmocka_unit_test(test_stat_set_key_twice),
        cmocka_unit_test(test_stat_set_bad_number),
        cmocka_unit_test(test_stat_set_item_without_equals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
