/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the mem source: telegraf's (gopsutil's) arithmetic over the /proc/meminfo of the
 * fixture trees, worked out by hand in the comments; the fallback without MemAvailable;
 * malformed files and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>

#define TOL 1e-6
#define KB  1024.0

static int setup(void **state)
{
    return source_setup(state, &st_source_mem);
}

static void test_first_collect_emits_every_gauge(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(t->cap->n, 10);
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 8000000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "free", NULL, NULL), 1000000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "buffered", NULL, NULL), 200000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "active", NULL, NULL), 3000000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "inactive", NULL, NULL), 2000000 * KB, TOL);
}

static void test_cached_includes_sreclaimable(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* Cached 2500000 + SReclaimable 300000. */
    assert_double_near(cap_value(t->cap, "cached", NULL, NULL), 2800000 * KB, TOL);
}

static void test_used_is_total_less_free_buffers_cached(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* 8000000 - 1000000 - 200000 - 2800000 = 4000000 kB, half of the total. */
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 4000000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "used_percent", NULL, NULL), 50.0, TOL);
}

static void test_available_is_memavailable(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_double_near(cap_value(t->cap, "available", NULL, NULL), 5000000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "available_percent", NULL, NULL), 62.5, TOL);
}

static void test_second_collect_reads_the_new_snapshot(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* 8000000 - 900000 - 210000 - (2500000 + 290000) = 4100000 kB. */
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 4100000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "used_percent", NULL, NULL), 51.25, TOL);
    assert_double_near(cap_value(t->cap, "available_percent", NULL, NULL), 60.0, TOL);
}

static void test_units_are_bytes_and_percent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_find(t->cap, "used", NULL, NULL)->unit, ST_UNIT_BYTES);
    assert_int_equal(cap_find(t->cap, "used_percent", NULL, NULL)->unit, ST_UNIT_PERCENT);
    assert_int_equal(cap_find(t->cap, "used", NULL, NULL)->n_dims, 0);
}

static void test_without_memavailable_available_is_free_plus_cached(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* proc-c has no MemAvailable: free 1000000 + cached 2800000. */
    assert_double_near(cap_value(t->cap, "available", NULL, NULL), 3800000 * KB, TOL);
    assert_double_near(cap_value(t->cap, "available_percent", NULL, NULL), 47.5, TOL);
}

static void test_malformed_total_emits_nothing(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    assert_int_equal(t->cap->n, 0);
}

static void test_used_never_wraps(void **state)
{
    struct scratch_test *t = *state;
    /* A container's view can have buffers + cached above the total. */
    assert_int_equal(write_file(t->dir, "proc/meminfo",
                                "MemTotal: 1000 kB\nMemFree: 500 kB\nBuffers: 300 kB\n"
                                "Cached: 400 kB\n"),
                     0);
    assert_int_equal(scratch_test_collect(t, &st_source_mem, NULL), 0);
    assert_double_near(cap_value(t->cap, "used", NULL, NULL), 0.0, TOL);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/meminfo"};
    fuzz_source(*state, &st_source_mem, rels, 1, 300, false);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_collect_emits_every_gauge, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_cached_includes_sreclaimable, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_used_is_total_less_free_buffers_cached, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_available_is_memavailable, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_second_collect_reads_the_new_snapshot, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_units_are_bytes_and_percent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_without_memavailable_available_is_free_plus_cached,
                                        setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_total_emits_nothing, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_used_never_wraps, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
