/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the net source: per-interval deltas of /proc/net/dev between the fixture trees
 * (worked out by hand in the comments), telegraf's default of skipping loopback and down
 * interfaces (by /sys/class/net/<name>/flags), resources, counters that go backwards, malformed
 * lines and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>
#include <stdbool.h>

#define TOL 1e-9

static int setup(void **state)
{
    return source_setup(state, &st_source_net);
}

static void test_first_collect_emits_nothing(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(t->cap->n, 0);
}

static void test_deltas_between_snapshots(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /*
     * eth0: received 5000000 -> 5600000 bytes, 40000 -> 40500 packets, errors 1 -> 2, drops 2
     * -> 4; sent 2000000 -> 2300000 bytes, 30000 -> 30300 packets, errors 3 -> 3, drops 4 -> 5.
     */
    const char *i = "eth0";
    assert_double_near(cap_value(t->cap, "bytes_recv", "interface", i), 600000, TOL);
    assert_double_near(cap_value(t->cap, "packets_recv", "interface", i), 500, TOL);
    assert_double_near(cap_value(t->cap, "err_in", "interface", i), 1, TOL);
    assert_double_near(cap_value(t->cap, "drop_in", "interface", i), 2, TOL);
    assert_double_near(cap_value(t->cap, "bytes_sent", "interface", i), 300000, TOL);
    assert_double_near(cap_value(t->cap, "packets_sent", "interface", i), 300, TOL);
    assert_double_near(cap_value(t->cap, "err_out", "interface", i), 0, TOL);
    assert_double_near(cap_value(t->cap, "drop_out", "interface", i), 1, TOL);
}

static void test_loopback_and_down_are_skipped_by_default(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* lo has flags 0x9 (loopback), eth1 0x1002 (not up). */
    assert_int_equal(cap_count_dim(t->cap, "interface", "lo"), 0);
    assert_int_equal(cap_count_dim(t->cap, "interface", "eth1"), 0);
    assert_int_equal(cap_count_dim(t->cap, "interface", "eth0"), 8);
}

static void test_interface_without_flags_is_kept_unless_lo(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* veth1 has no /sys/class/net entry in the fixture. */
    assert_double_near(cap_value(t->cap, "bytes_recv", "interface", "veth1"), 300, TOL);
    assert_int_equal(t->cap->n, 16);
}

static void test_named_interfaces_are_sent_whatever_their_state(void **state)
{
    struct source_test *t = *state;
    config_add_resource(&t->cfg, "lo");
    config_add_resource(&t->cfg, "eth1");
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_double_near(cap_value(t->cap, "bytes_recv", "interface", "lo"), 50000, TOL);
    assert_double_near(cap_value(t->cap, "bytes_sent", "interface", "eth1"), 0, TOL);
    assert_int_equal(cap_count_dim(t->cap, "interface", "eth0"), 0);
    assert_int_equal(t->cap->n, 16);
}

static void test_units(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(cap_find(t->cap, "bytes_sent", NULL, NULL)->unit, ST_UNIT_BYTES);
    assert_int_equal(cap_find(t->cap, "packets_sent", NULL, NULL)->unit, ST_UNIT_COUNT);
    assert_int_equal(cap_find(t->cap, "drop_in", NULL, NULL)->unit, ST_UNIT_COUNT);
}

static void test_counter_backwards_skips_only_that_counter(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* eth0's received bytes went from 5600000 to 1000; the packets went on, 40500 -> 40600. */
    assert_null(cap_find(t->cap, "bytes_recv", "interface", "eth0"));
    assert_double_near(cap_value(t->cap, "packets_recv", "interface", "eth0"), 100, TOL);
    assert_double_near(cap_value(t->cap, "bytes_sent", "interface", "eth0"), 100000, TOL);
}

static void test_reboot_emits_nothing(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_int_equal(source_test_collect(t, "proc-a"), 0);
    /* Every counter that moved went back; the ones that did not move are 0. */
    assert_null(cap_find(t->cap, "bytes_recv", "interface", "eth0"));
    assert_double_near(cap_value(t->cap, "err_out", "interface", "eth0"), 0, TOL);
}

static void test_malformed_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    /* Only the first eth1 line is well formed (the second is a duplicate); it did not move. */
    assert_int_equal(t->cap->n, 8);
    assert_double_near(cap_value(t->cap, "bytes_recv", "interface", "eth1"), 0, TOL);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/net/dev"};
    fuzz_source(*state, &st_source_net, rels, 1, 300, false);
}

/*
 * On the real system (root "/") the flags come from SIOCGIFFLAGS: the interfaces sent must be
 * exactly the ones /sys/class/net/<name>/flags says are up and not loopback.
 */
static void test_the_real_system_skips_by_the_interfaces_flags(void **state)
{
    (void)state;
    struct capture *cap;
    void *st = real_source_init(&st_source_net, &cap);
    assert_int_equal(st_source_net.collect(st, &cap->e), 0);
    cap_reset(cap);
    assert_int_equal(st_source_net.collect(st, &cap->e), 0);
    FILE *dev = fopen("/proc/net/dev", "r");
    assert_non_null(dev);
    char line[512];
    int checked = 0;
    while (fgets(line, sizeof(line), dev)) {
        char *colon = strchr(line, ':');
        if (!colon) {
            continue; /* the two header lines */
        }
        *colon = '\0';
        char *name = line + strspn(line, " ");
        char path[300];
        snprintf(path, sizeof(path), "/sys/class/net/%s/flags", name);
        FILE *f = fopen(path, "r");
        unsigned flags;
        if (!f || fscanf(f, "%x", &flags) != 1) {
            if (f) {
                fclose(f);
            }
            continue; /* gone since, or no sysfs */
        }
        fclose(f);
        bool want = (flags & 0x1) && !(flags & 0x8);
        assert_int_equal(cap_count_dim(cap, "interface", name) > 0, want);
        checked++;
    }
    fclose(dev);
    assert_true(checked >= 1); /* lo at least */
    st_source_net.fini(st);
    free(cap);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_collect_emits_nothing, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_deltas_between_snapshots, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_loopback_and_down_are_skipped_by_default, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_interface_without_flags_is_kept_unless_lo, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_named_interfaces_are_sent_whatever_their_state, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_units, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_counter_backwards_skips_only_that_counter, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_reboot_emits_nothing, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_are_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_the_real_system_skips_by_the_interfaces_flags),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
