/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the diskio source: per-interval deltas of /proc/diskstats between the fixture
 * trees (worked out by hand in the comments), iops_in_progress as a gauge, short and malformed
 * lines, counters that go backwards, devices that come and go, resources, and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>

#define TOL 1e-9

static int setup(void **state)
{
    return source_setup(state, &st_source_diskio);
}

static void test_first_collect_emits_only_iops_in_progress(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* loop0, sda, sda1 and nvme0n1 (dm-0's line is too short). */
    assert_int_equal(t->cap->n, 4);
    assert_int_equal(cap_count(t->cap, "iops_in_progress"), 4);
    assert_double_near(cap_value(t->cap, "iops_in_progress", "name", "sda"), 1, TOL);
}

static void test_deltas_between_snapshots(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /*
     * sda: reads 1000 -> 1100, sectors read 20000 -> 22000, read ms 500 -> 540, writes 2000 ->
     * 2050, sectors written 40000 -> 40800, write ms 1500 -> 1560, io ms 1800 -> 1890.
     */
    assert_double_near(cap_value(t->cap, "reads", "name", "sda"), 100, TOL);
    assert_double_near(cap_value(t->cap, "read_bytes", "name", "sda"), 2000 * 512, TOL);
    assert_double_near(cap_value(t->cap, "read_time", "name", "sda"), 40, TOL);
    assert_double_near(cap_value(t->cap, "writes", "name", "sda"), 50, TOL);
    assert_double_near(cap_value(t->cap, "write_bytes", "name", "sda"), 800 * 512, TOL);
    assert_double_near(cap_value(t->cap, "write_time", "name", "sda"), 60, TOL);
    assert_double_near(cap_value(t->cap, "io_time", "name", "sda"), 90, TOL);
}

static void test_iops_in_progress_is_a_gauge(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* proc-b's value as it stands, not 3 - 1. */
    assert_double_near(cap_value(t->cap, "iops_in_progress", "name", "sda"), 3, TOL);
    assert_double_near(cap_value(t->cap, "iops_in_progress", "name", "sda1"), 2, TOL);
}

static void test_old_format_line_of_eleven_statistics(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* nvme0n1 has exactly the 11 statistics of kernels before 4.18. */
    assert_double_near(cap_value(t->cap, "writes", "name", "nvme0n1"), 500, TOL);
    assert_double_near(cap_value(t->cap, "write_bytes", "name", "nvme0n1"), 10000 * 512, TOL);
    assert_double_near(cap_value(t->cap, "write_time", "name", "nvme0n1"), 400, TOL);
    assert_double_near(cap_value(t->cap, "io_time", "name", "nvme0n1"), 300, TOL);
    assert_double_near(cap_value(t->cap, "reads", "name", "nvme0n1"), 0, TOL);
}

static void test_short_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "name", "dm-0"), 0);
}

static void test_every_device_is_emitted(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* 4 devices, 7 deltas and the gauge each; idle loop0 too, with zeros, as telegraf. */
    assert_int_equal(t->cap->n, 32);
    assert_double_near(cap_value(t->cap, "reads", "name", "loop0"), 0, TOL);
}

static void test_units(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_find(t->cap, "reads", NULL, NULL)->unit, ST_UNIT_COUNT);
    assert_int_equal(cap_find(t->cap, "read_bytes", NULL, NULL)->unit, ST_UNIT_BYTES);
    assert_int_equal(cap_find(t->cap, "io_time", NULL, NULL)->unit, ST_UNIT_MILLISECONDS);
    assert_int_equal(cap_find(t->cap, "iops_in_progress", NULL, NULL)->unit, ST_UNIT_COUNT);
}

static void test_resources_select_devices(void **state)
{
    struct source_test *t = *state;
    config_add_resource(&t->cfg, "sda*");
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "name", "sda"), 8);
    assert_int_equal(cap_count_dim(t->cap, "name", "sda1"), 8);
    assert_int_equal(t->cap->n, 16);
}

static void test_counter_backwards_skips_only_that_counter(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* sda's read counters went back; writes 2050 -> 2100, sectors 40800 -> 41600. */
    assert_null(cap_find(t->cap, "reads", "name", "sda"));
    assert_null(cap_find(t->cap, "read_bytes", "name", "sda"));
    assert_null(cap_find(t->cap, "read_time", "name", "sda"));
    assert_double_near(cap_value(t->cap, "writes", "name", "sda"), 50, TOL);
    assert_double_near(cap_value(t->cap, "write_bytes", "name", "sda"), 800 * 512, TOL);
    assert_double_near(cap_value(t->cap, "io_time", "name", "sda"), 10, TOL);
}

static void test_new_baseline_after_a_reset(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* proc-c's reads (5) are the baseline now: 1100 - 5. */
    assert_double_near(cap_value(t->cap, "reads", "name", "sda"), 1095, TOL);
}

static void test_new_device_gets_deltas_from_its_second_reading(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_int_equal(cap_count_dim(t->cap, "name", "sdb"), 1);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_int_equal(cap_count_dim(t->cap, "name", "sdb"), 8);
}

static void test_device_that_comes_back_starts_over(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-a"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* sda1 was in proc-a, gone in proc-c: no delta against proc-a. */
    assert_int_equal(cap_count_dim(t->cap, "name", "sda1"), 1);
}

static void test_malformed_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    /* Only sda and sdc (the last line, without '\n') are well formed. */
    assert_int_equal(t->cap->n, 2);
    assert_double_near(cap_value(t->cap, "iops_in_progress", "name", "sda"), 9, TOL);
    assert_double_near(cap_value(t->cap, "iops_in_progress", "name", "sdc"), 9, TOL);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/diskstats"};
    fuzz_source(*state, &st_source_diskio, rels, 1, 300, false);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_diskio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_collect_emits_only_iops_in_progress, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_deltas_between_snapshots, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_iops_in_progress_is_a_gauge, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_old_format_line_of_eleven_statistics, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_short_lines_are_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_every_device_is_emitted, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_units, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_resources_select_devices, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_counter_backwards_skips_only_that_counter, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_new_baseline_after_a_reset, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_new_device_gets_deltas_from_its_second_reading, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_device_that_comes_back_starts_over, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_are_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
