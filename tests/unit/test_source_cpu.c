/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the cpu source over the fixture trees: cumulative time_* from the first
 * collection, usage_* percentages from the deltas of tests/data/proc-a to proc-b (worked out by
 * hand in the comments), per-cpu selection, counters that go backwards, cpus going offline and
 * coming back, malformed lines and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>

#define TOL 1e-9

static double hz(void)
{
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? (double)v : 100.0;
}

static int setup(void **state)
{
    return source_setup(state, &st_source_cpu);
}

static int setup_percpu(void **state)
{
    int r = source_setup(state, &st_source_cpu);
    if (r == 0) {
        ((struct source_test *)*state)->cfg.percpu = true;
    }
    return r;
}

static void test_first_collect_emits_cumulative_times(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* proc-a's "cpu" line: user 10000, nice 500, system 3000, idle 80000 ticks. */
    assert_double_near(cap_value(t->cap, "time_user", "cpu", "cpu-total"), 10000 / hz(), TOL);
    assert_double_near(cap_value(t->cap, "time_idle", "cpu", "cpu-total"), 80000 / hz(), TOL);
    assert_double_near(cap_value(t->cap, "time_guest_nice", "cpu", "cpu-total"), 20 / hz(), TOL);
}

static void test_first_collect_emits_no_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_null(cap_find(t->cap, "usage_idle", NULL, NULL));
    assert_null(cap_find(t->cap, "usage_active", NULL, NULL));
    /* 11 time_* of cpu-total and nothing else. */
    assert_int_equal(t->cap->n, 11);
}

static void test_time_active_is_total_without_idle_and_guest(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* 10000+500+3000+80000+1000+100+200+50 = 94850 ticks, less idle 80000 = 14850. */
    assert_double_near(cap_value(t->cap, "time_active", "cpu", "cpu-total"), 14850 / hz(), TOL);
}

static void test_units_are_percent_and_none(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_find(t->cap, "usage_user", NULL, NULL)->unit, ST_UNIT_PERCENT);
    assert_int_equal(cap_find(t->cap, "time_user", NULL, NULL)->unit, ST_UNIT_NONE);
}

static void test_total_usage_from_deltas(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /*
     * proc-a -> proc-b, cpu-total: user +700 (guest +100), nice +50 (guest_nice +10), system +300,
     * idle +1700, iowait +100, irq +30, softirq +50, steal +70: 3000 ticks in all.
     */
    const char *c = "cpu-total";
    assert_double_near(cap_value(t->cap, "usage_user", "cpu", c), 600 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_nice", "cpu", c), 40 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_system", "cpu", c), 10.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_idle", "cpu", c), 1700 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_iowait", "cpu", c), 100 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_irq", "cpu", c), 1.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_softirq", "cpu", c), 50 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_steal", "cpu", c), 70 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_guest", "cpu", c), 100 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_guest_nice", "cpu", c), 10 * 100.0 / 3000, TOL);
    assert_double_near(cap_value(t->cap, "usage_active", "cpu", c), 1300 * 100.0 / 3000, TOL);
}

static void test_percpu_usage_from_deltas(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* cpu0: user +600 (guest +100), nice +50 (+10), system +200, idle +1000, iowait +50, irq
     * +20, softirq +30, steal +50: 2000 ticks. */
    assert_double_near(cap_value(t->cap, "usage_user", "cpu", "cpu0"), 25.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_nice", "cpu", "cpu0"), 2.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_system", "cpu", "cpu0"), 10.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_idle", "cpu", "cpu0"), 50.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_iowait", "cpu", "cpu0"), 2.5, TOL);
    assert_double_near(cap_value(t->cap, "usage_irq", "cpu", "cpu0"), 1.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_softirq", "cpu", "cpu0"), 1.5, TOL);
    assert_double_near(cap_value(t->cap, "usage_steal", "cpu", "cpu0"), 2.5, TOL);
    assert_double_near(cap_value(t->cap, "usage_guest", "cpu", "cpu0"), 5.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_guest_nice", "cpu", "cpu0"), 0.5, TOL);
    assert_double_near(cap_value(t->cap, "usage_active", "cpu", "cpu0"), 50.0, TOL);
    /* cpu1: user +100, system +100, idle +700, iowait +50, irq +10, softirq +20, steal +20. */
    assert_double_near(cap_value(t->cap, "usage_user", "cpu", "cpu1"), 10.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_idle", "cpu", "cpu1"), 70.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_iowait", "cpu", "cpu1"), 5.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_guest", "cpu", "cpu1"), 0.0, TOL);
    assert_double_near(cap_value(t->cap, "usage_active", "cpu", "cpu1"), 30.0, TOL);
}

static void test_percpu_emits_every_measurement_per_cpu(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu0"), 22);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu1"), 22);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu-total"), 22);
    assert_int_equal(t->cap->n, 66);
}

static void test_without_percpu_no_cpu_n(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu0"), 0);
    assert_int_equal(t->cap->n, 22);
}

static void test_totalcpu_false_omits_the_total(void **state)
{
    struct source_test *t = *state;
    t->cfg.totalcpu = false;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu-total"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu0"), 22);
}

static void test_resources_select_cpus(void **state)
{
    struct source_test *t = *state;
    config_add_resource(&t->cfg, "cpu1");
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu0"), 0);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu1"), 22);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu-total"), 22);
}

static void test_column_backwards_skips_only_that_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /*
     * proc-b -> proc-c, cpu-total: iowait 1100 -> 1000 went back; user +100, system +100, idle
     * +800; the total moved 900 ticks.
     */
    assert_null(cap_find(t->cap, "usage_iowait", "cpu", "cpu-total"));
    assert_double_near(cap_value(t->cap, "usage_user", "cpu", "cpu-total"), 100 * 100.0 / 900, TOL);
    assert_double_near(cap_value(t->cap, "usage_idle", "cpu", "cpu-total"), 800 * 100.0 / 900, TOL);
    assert_double_near(cap_value(t->cap, "usage_active", "cpu", "cpu-total"), 100 * 100.0 / 900,
                       TOL);
}

static void test_cpu_whose_total_went_back_emits_no_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* cpu0 fell from 49425 ticks to 1210: a reset. Its times are still reported. */
    assert_null(cap_find(t->cap, "usage_idle", "cpu", "cpu0"));
    assert_double_near(cap_value(t->cap, "time_idle", "cpu", "cpu0"), 1000 / hz(), TOL);
}

static void test_new_cpu_reports_times_then_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* cpu2 appears in proc-c; cpu1 went offline. */
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu2"), 11);
    assert_null(cap_find(t->cap, "usage_idle", "cpu", "cpu2"));
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu1"), 0);
}

static void test_cpu_back_online_starts_over(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-a"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* cpu1 was in proc-a, gone in proc-c: proc-a's reading must not be used for proc-b. */
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu1"), 11);
    assert_null(cap_find(t->cap, "usage_idle", "cpu", "cpu1"));
}

static void test_reboot_emits_no_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-a"), 0);
    for (size_t i = 0; i < t->cap->n; i++) {
        assert_int_equal(strncmp(t->cap->rec[i].measurement, "time_", 5), 0);
    }
    assert_int_equal(t->cap->n, 33);
}

static void test_no_ticks_passed_emits_no_usage(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_null(cap_find(t->cap, "usage_idle", NULL, NULL));
}

static void test_usage_after_the_reset_interval(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-a"), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* After the reset, proc-a is the baseline again: the proc-a -> proc-b numbers. */
    assert_double_near(cap_value(t->cap, "usage_user", "cpu", "cpu0"), 25.0, TOL);
}

static void test_malformed_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    /*
     * Well formed: the second "cpu" line (the third repeats it), the first cpu2 line (the second
     * repeats it) and cpu3 (its extra columns are ignored).
     */
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu-total"), 11);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu2"), 11);
    assert_int_equal(cap_count_dim(t->cap, "cpu", "cpu3"), 11);
    assert_int_equal(t->cap->n, 33);
    assert_double_near(cap_value(t->cap, "time_idle", "cpu", "cpu-total"), 4 / hz(), TOL);
    assert_double_near(cap_value(t->cap, "time_idle", "cpu", "cpu2"), 100 / hz(), TOL);
    assert_double_near(cap_value(t->cap, "time_idle", "cpu", "cpu3"), 100 / hz(), TOL);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
    assert_int_equal(t->cap->n, 0);
}

static void test_long_intr_line_is_not_an_error(void **state)
{
    struct scratch_test *t = *state;
    size_t n = 20000;
    char text[20000 + 200];
    int off = sprintf(text, "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr");
    while ((size_t)off < n) {
        off += sprintf(text + off, " 0");
    }
    sprintf(text + off, "\nctxt 1\n");
    assert_int_equal(write_file(t->dir, "proc/stat", text), 0);
    assert_int_equal(scratch_test_collect(t, &st_source_cpu, NULL), 0);
    assert_int_equal(t->cap->n, 11);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/stat"};
    fuzz_source(*state, &st_source_cpu, rels, 1, 300, true);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_cpu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_collect_emits_cumulative_times, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_first_collect_emits_no_usage, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_time_active_is_total_without_idle_and_guest, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_units_are_percent_and_none, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_total_usage_from_deltas, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_percpu_usage_from_deltas, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_percpu_emits_every_measurement_per_cpu, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_without_percpu_no_cpu_n, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_totalcpu_false_omits_the_total, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_resources_select_cpus, setup_percpu, source_teardown),
        cmocka_unit_test_setup_teardown(test_column_backwards_skips_only_that_usage, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_cpu_whose_total_went_back_emits_no_usage, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_new_cpu_reports_times_then_usage, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_cpu_back_online_starts_over, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_reboot_emits_no_usage, setup_percpu, source_teardown),
        cmocka_unit_test_setup_teardown(test_no_ticks_passed_emits_no_usage, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_usage_after_the_reset_interval, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_are_skipped, setup_percpu,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_long_intr_line_is_not_an_error, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
