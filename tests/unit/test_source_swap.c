/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the swap source: SwapTotal/SwapFree of the fixture trees' /proc/meminfo and
 * pswpin/pswpout of /proc/vmstat, a host without swap, malformed files and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>

#define TOL 1e-6
#define KB  1024.0

static int setup(void **state)
{
    return source_setup(state, &st_source_swap);
}

static void test_first_collect_emits_free_used_percent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* SwapTotal 2000000 kB, SwapFree 1500000 kB. */
    assert_double_near(cap_value(t->cap, "free", NULL, NULL), 1500000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 500000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "used_percent", NULL, NULL), 25.0, TOL);
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 2000000 * KB, TOL);
}

static void test_in_out_are_cumulative_bytes(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* pswpin 100, pswpout 250 pages of 4 KiB. */
    assert_double_near(cap_value(t->cap, "in", NULL, NULL), 100 * 4096.0, TOL);
    assert_double_near(cap_value(t->cap, "out", NULL, NULL), 250 * 4096.0, TOL);
    assert_int_equal(cap_find(t->cap, "in", NULL, NULL)->unit, ST_UNIT_NONE);
    assert_int_equal(t->cap->n, 6);
}

static void test_second_collect_reads_the_new_snapshot(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* SwapFree 1400000 kB; pswpout 300. */
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 600000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "used_percent", NULL, NULL), 30.0, TOL);
    assert_double_near(cap_value(t->cap, "out", NULL, NULL), 300 * 4096.0, TOL);
}

static void test_units_are_bytes_and_percent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_find(t->cap, "free", NULL, NULL)->unit, ST_UNIT_BYTES);
    assert_int_equal(cap_find(t->cap, "used_percent", NULL, NULL)->unit, ST_UNIT_PERCENT);
}

static void test_no_swap_is_zero_percent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    /* proc-c: SwapTotal 0, and no /proc/vmstat: no in/out, not an error. */
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_double_near(cap_value(t->cap, "used_percent", NULL, NULL), 0.0, TOL);
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 0.0, TOL);
    assert_null(cap_find(t->cap, "in", NULL, NULL));
}

static void test_malformed_emits_nothing(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    assert_int_equal(t->cap->n, 0);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/meminfo", "proc/vmstat"};
    fuzz_source(*state, &st_source_swap, rels, 2, 300, false);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_swap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_collect_emits_free_used_percent, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_in_out_are_cumulative_bytes, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_second_collect_reads_the_new_snapshot, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_units_are_bytes_and_percent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_no_swap_is_zero_percent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_emits_nothing, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
