/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of metric math (lib/metric_math.c): precedence and associativity, every
 * supported function on series, arrays and scalars, missing points, and syntax, type and name
 * errors.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stratus/metric_math.h"

#define N 5
static double m1[N] = {1, 2, NAN, 4, 5};
static double m2[N] = {10, NAN, 30, 40, 50};
static struct st_mm_value arr[2];

static int lookup(void *ctx, const char *id, struct st_mm_value *ret, struct st_error *err)
{
    (void)ctx;
    if (strcmp(id, "m1") == 0 || strcmp(id, "m2") == 0) {
        *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = id[1] == '1' ? m1 : m2, .label = id};
        return 0;
    }
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "unknown %s", id);
}

static int metrics(void *ctx, const char *filter, struct st_mm_value *ret, struct st_error *err)
{
    (void)ctx;
    (void)err;
    size_t n = 0;
    if (!filter[0] || strstr("m1", filter)) {
        arr[n++] = (struct st_mm_value){.kind = ST_MM_SERIES, .v = m1, .label = "m1"};
    }
    if (!filter[0] || strstr("m2", filter)) {
        arr[n++] = (struct st_mm_value){.kind = ST_MM_SERIES, .v = m2, .label = "m2"};
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = arr, .n_items = n};
    return 0;
}

static int eval(const char *expr, struct st_arena *a, struct st_mm_value *v, struct st_error *err)
{
    struct st_mm_node *node;
    int r = st_mm_parse(expr, strlen(expr), a, &node, err);
    if (r < 0) {
        return r;
    }
    struct st_mm_grid g = {.start_ms = 0, .period_ms = 10000, .n = N};
    struct st_mm_env env = {lookup, metrics, NULL};
    return st_mm_eval(node, &g, &env, a, v, err);
}

static void expect_scalar(const char *expr, double want)
{
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    struct st_mm_value v;
    struct st_error err;
    if (eval(expr, &a, &v, &err) < 0) {
        fail_msg("%s: %s", expr, err.message);
    }
    assert_int_equal(v.kind, ST_MM_SCALAR);
    if (!(fabs(v.scalar - want) < 1e-9 || (isnan(want) && isnan(v.scalar)))) {
        fail_msg("%s = %g, want %g", expr, v.scalar, want);
    }
    st_arena_fini(&a);
}

/* want: N values, NAN for none. */
static void expect_series(const char *expr, const double *want)
{
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    struct st_mm_value v;
    struct st_error err;
    if (eval(expr, &a, &v, &err) < 0) {
        fail_msg("%s: %s", expr, err.message);
    }
    assert_int_equal(v.kind, ST_MM_SERIES);
    for (size_t i = 0; i < N; i++) {
        if (!(isnan(want[i]) ? isnan(v.v[i]) : fabs(v.v[i] - want[i]) < 1e-9)) {
            fail_msg("%s [%zu] = %g, want %g", expr, i, v.v[i], want[i]);
        }
    }
    st_arena_fini(&a);
}

static void test_arithmetic(void **state)
{
    (void)state;
    expect_scalar("1 + 2 * 3", 7);
    expect_scalar("(1 + 2) * 3", 9);
    expect_scalar("2 ^ 3 ^ 2", 512);
    expect_scalar("-2 ^ 2", 4);
    expect_scalar("10 - 4 - 3", 3);
    expect_scalar("1 / 0", NAN);
    expect_scalar("1.5e1 / 3", 5);
    expect_series("m1 + m2", (double[]){11, NAN, NAN, 44, 55});
    expect_series("m1 * 2 - 1", (double[]){1, 3, NAN, 7, 9});
    expect_series("100 / m1", (double[]){100, 50, NAN, 25, 20});
    expect_series("-m1", (double[]){-1, -2, NAN, -4, -5});
}

static void test_functions(void **state)
{
    (void)state;
    expect_scalar("SUM(m1)", 12);
    expect_scalar("AVG(m1)", 3);
    expect_scalar("MIN(m2)", 10);
    expect_scalar("MAX(m2)", 50);
    expect_scalar("MAX(3)", 3);
    expect_series("SUM(METRICS())", (double[]){11, 2, 30, 44, 55});
    expect_series("AVG(METRICS())", (double[]){5.5, 2, 30, 22, 27.5});
    expect_series("MAX(METRICS(\"m2\"))", (double[]){10, NAN, 30, 40, 50});
    expect_series("MIN(METRICS() * 2)", (double[]){2, 4, 60, 8, 10});
    /* RATE: per second over a 10 s grid, across the gap */
    expect_series("RATE(m1)", (double[]){NAN, 0.1, NAN, 0.1, 0.1});
    expect_series("DIFF(m2)", (double[]){NAN, NAN, 20, 10, 10});
    expect_series("FILL(m1, 0)", (double[]){1, 2, 0, 4, 5});
    expect_series("FILL(m2, REPEAT)", (double[]){10, 10, 30, 40, 50});
    expect_series("FILL(m1, LINEAR)", (double[]){1, 2, 3, 4, 5});
    expect_series("FILL(m2, m1)", (double[]){10, 2, 30, 40, 50});
    expect_series("ABS(m1 - 3)", (double[]){2, 1, NAN, 1, 2});
    expect_series("SUM(FILL(METRICS(), 0))", (double[]){11, 2, 30, 44, 55});
    expect_series("m1 + SUM(m1)", (double[]){13, 14, NAN, 16, 17});
}

static void test_conditions(void **state)
{
    (void)state;
    expect_scalar("1 < 2", 1);
    expect_scalar("2 <= 1", 0);
    expect_scalar("3 == 3", 1);
    expect_scalar("3 != 3", 0);
    expect_scalar("2 >= 2", 1);
    expect_scalar("1 > 2", 0);
    expect_scalar("1 AND 0", 0);
    expect_scalar("1 && 2", 1);
    expect_scalar("0 OR 0", 0);
    expect_scalar("0 || 3", 1);
    expect_scalar("NOT 0", 1);
    expect_scalar("!5", 0);
    expect_scalar("1 + 1 == 2", 1);      /* arithmetic binds tighter */
    expect_scalar("1 < 2 AND 3 > 4", 0); /* comparisons tighter than AND */
    expect_scalar("1 OR 0 AND 0", 1);    /* AND tighter than OR */
    expect_scalar("NOT 1 OR 1", 1);
    expect_scalar("IF(0, 1, 2)", 2);
    expect_scalar("IF(3, 1, 2)", 1);
    expect_scalar("IF(0, 1)", NAN);
    expect_series("m1 > 2", (double[]){0, 0, NAN, 1, 1});
    expect_series("m1 > 2 AND m2 < 50", (double[]){0, NAN, NAN, 1, 0});
    expect_series("IF(m1 > 2, m1, 0)", (double[]){0, 0, NAN, 4, 5});
    expect_series("IF(m1 > 2, m1)", (double[]){NAN, NAN, NAN, 4, 5});
    expect_series("IF(m2 >= 30, 1, m1)", (double[]){1, NAN, 1, 1, 1});
    expect_series("IF(1, m1, m2)", (double[]){1, 2, NAN, 4, 5});
    expect_series("IF(m1, 7)", (double[]){7, 7, NAN, 7, 7});
    /* an array condition pairs with an array of the same length, member by member */
    expect_series("SUM(IF(METRICS() > 4, METRICS(), 0))", (double[]){10, 0, 30, 40, 55});
    expect_series("MAX(IF(METRICS() < 3, 1))", (double[]){1, 1, NAN, NAN, NAN});
}

static void test_more_functions(void **state)
{
    (void)state;
    expect_series("CEIL(m1 / 3)", (double[]){1, 1, NAN, 2, 2});
    expect_scalar("FLOOR(2.7)", 2);
    expect_scalar("LOG10(100)", 2);
    expect_scalar("LOG(0)", NAN);
    expect_series("LOG(m1)", (double[]){0, log(2), NAN, log(4), log(5)});
    expect_series("RUNNING_SUM(m1)", (double[]){1, 3, NAN, 7, 12});
    expect_series("EPOCH(m2)", (double[]){0, NAN, 20, 30, 40});
    expect_series("DIFF_TIME(m2)", (double[]){NAN, NAN, 20, 10, 10});
    expect_scalar("PERIOD(m1)", 10);
    expect_series("m1 / PERIOD(m1)", (double[]){0.1, 0.2, NAN, 0.4, 0.5});
    expect_scalar("DATAPOINT_COUNT(m1)", 4);
    expect_series("DATAPOINT_COUNT(METRICS())", (double[]){2, 1, 1, 2, 2});
    expect_scalar("METRIC_COUNT(METRICS())", 2);
    expect_series("TIME_SERIES(3)", (double[]){3, 3, 3, 3, 3});
    expect_series("SUM(CEIL(METRICS() / 20))", (double[]){2, 1, 2, 3, 4});
}

static void test_errors(void **state)
{
    (void)state;
    static const char *const bad_syntax[] = {
        "",      "m1 +",   "(m1",     "m1)",   "SUM(m1,", "1..2",      "SEARCH(\"x\")",
        "m1 m2", "\"open", "FOO(m1)", "#",     "1e999",   "1 < 2 < 3", "m1 AND",
        "NOT",   "1 = 2",  "m1 !",    "m1 &&",
    };
    for (size_t i = 0; i < sizeof(bad_syntax) / sizeof(bad_syntax[0]); i++) {
        struct st_arena a;
        st_arena_init(&a, 0, 0);
        struct st_mm_node *node;
        struct st_error err;
        if (st_mm_parse(bad_syntax[i], strlen(bad_syntax[i]), &a, &node, &err) != -EINVAL) {
            fail_msg("%s parsed", bad_syntax[i]);
        }
        assert_string_equal(err.code, ST_ERR_INVALID_PARAMETER_VALUE);
        st_arena_fini(&a);
    }
    static const char *const bad_eval[] = {
        "m3",
        "RATE(5)",
        "FILL(m1)",
        "SUM(m1, m2)",
        "METRICS() + METRICS()",
        "\"s\" + 1",
        "METRICS(m1)",
        "FILL(m1, METRICS())",
        "IF(m1)",
        "IF(m1, 1, 2, 3)",
        "IF(m1, METRICS())",
        "IF(METRICS(), METRICS(\"m1\"))",
        "PERIOD(3)",
        "METRIC_COUNT(m1)",
        "TIME_SERIES(m1)",
        "DATAPOINT_COUNT(4)",
    };
    for (size_t i = 0; i < sizeof(bad_eval) / sizeof(bad_eval[0]); i++) {
        struct st_arena a;
        st_arena_init(&a, 0, 0);
        struct st_mm_value v;
        struct st_error err;
        if (eval(bad_eval[i], &a, &v, &err) != -EINVAL) {
            fail_msg("%s evaluated", bad_eval[i]);
        }
        st_arena_fini(&a);
    }
    /* depth cap */
    char deep[200];
    memset(deep, '(', 100);
    deep[100] = '1';
    memset(deep + 101, ')', 98);
    deep[199] = '\0';
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    struct st_mm_node *node;
    struct st_error err;
    assert_int_equal(st_mm_parse(deep, strlen(deep), &a, &node, &err), -EINVAL);
    st_arena_fini(&a);
}

static int count_ids(void *ctx, const char *id)
{
    (void)id;
    ++*(int *)ctx;
    return 0;
}

static void test_visit_ids(void **state)
{
    (void)state;
    struct st_arena a;
    st_arena_init(&a, 0, 0);
    struct st_mm_node *node;
    struct st_error err;
    const char *e = "FILL(m1, REPEAT) + SUM(METRICS()) * m2 / e1";
    assert_int_equal(st_mm_parse(e, strlen(e), &a, &node, &err), 0);
    int n = 0;
    assert_int_equal(st_mm_visit_ids(node, count_ids, &n), 0);
    assert_int_equal(n, 3);
    st_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic), cmocka_unit_test(test_functions),
        cmocka_unit_test(test_conditions), cmocka_unit_test(test_more_functions),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_visit_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
