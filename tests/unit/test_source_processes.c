/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the processes source: states and thread counts of the /proc/<pid>/stat files of
 * the fixture trees (command names with spaces and parentheses included), malformed files and
 * garbage.
 */
#include "test_source_capture.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOL 1e-9

static int setup(void **state)
{
    return source_setup(state, &st_source_processes);
}

static void test_counts_by_state(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* proc-a: S S I R Z D T t W X P. */
    assert_double_near(cap_value(t->cap, "sleeping", NULL, NULL), 2, TOL);
    assert_double_near(cap_value(t->cap, "idle", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "running", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "zombies", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "blocked", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "stopped", NULL, NULL), 2, TOL);
    assert_double_near(cap_value(t->cap, "paging", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "dead", NULL, NULL), 1, TOL);
}

static void test_total_includes_other_states(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* 11 processes; the parked one (P) counts in total only. */
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 11, TOL);
}

static void test_total_threads_sums_num_threads(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* 1+1+1+8+1+1+2+1+1+1+1. */
    assert_double_near(cap_value(t->cap, "total_threads", NULL, NULL), 19, TOL);
}

static void test_every_measurement_as_a_count(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(t->cap->n, 10);
    for (size_t i = 0; i < t->cap->n; i++) {
        assert_int_equal(t->cap->rec[i].unit, ST_UNIT_COUNT);
    }
}

static void test_second_collect_reads_the_new_snapshot(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* proc-b: S S I R(9 threads) S R R. */
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 7, TOL);
    assert_double_near(cap_value(t->cap, "running", NULL, NULL), 3, TOL);
    assert_double_near(cap_value(t->cap, "sleeping", NULL, NULL), 3, TOL);
    assert_double_near(cap_value(t->cap, "zombies", NULL, NULL), 0, TOL);
    assert_double_near(cap_value(t->cap, "total_threads", NULL, NULL), 15, TOL);
}

static void test_state_follows_the_last_parenthesis(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    /* pid 201 of proc-b is called "cc1) R 1 2": its real state is after the last ')'. */
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    assert_double_near(cap_value(t->cap, "blocked", NULL, NULL), 0, TOL);
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 7, TOL);
}

static void test_malformed_stat_files_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    /* Only pid 3 (S, 4 threads) is well formed. */
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "sleeping", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "total_threads", NULL, NULL), 4, TOL);
}

static void test_newline_in_command_name(void **state)
{
    struct scratch_test *t = *state;
    assert_int_equal(write_file(t->dir, "proc/42/stat",
                                "42 (evil\n) Z 1 2 3) D 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0\n"),
                     0);
    assert_int_equal(scratch_test_collect(t, &st_source_processes, NULL), 0);
    assert_double_near(cap_value(t->cap, "blocked", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "zombies", NULL, NULL), 0, TOL);
    assert_double_near(cap_value(t->cap, "total_threads", NULL, NULL), 3, TOL);
}

static void test_many_processes(void **state)
{
    struct scratch_test *t = *state;
    /* More directory entries than one getdents64 buffer holds. */
    for (int pid = 1; pid <= 1500; pid++) {
        char rel[64], text[256];
        snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
        snprintf(text, sizeof(text), "%d (p) %c 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 1 1 1\n", pid,
                 pid % 3 == 0 ? 'R' : 'S');
        assert_int_equal(write_file(t->dir, rel, text), 0);
    }
    assert_int_equal(scratch_test_collect(t, &st_source_processes, NULL), 0);
    assert_double_near(cap_value(t->cap, "total", NULL, NULL), 1500, TOL);
    assert_double_near(cap_value(t->cap, "running", NULL, NULL), 500, TOL);
    assert_double_near(cap_value(t->cap, "total_threads", NULL, NULL), 3000, TOL);
}

static void test_missing_proc_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
    assert_int_equal(t->cap->n, 0);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/1/stat", "proc/2/stat", "proc/77/stat"};
    fuzz_source(*state, &st_source_processes, rels, 3, 300, false);
}

/* How many of our fds are open on a file whose path starts with prefix. */
static size_t fds_on(const char *prefix)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d))) {
        char link[300], target[300];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strncmp(target, prefix, strlen(prefix)) == 0 &&
                 strcmp(target + len - 5, "/stat") == 0;
        }
    }
    closedir(d);
    return n;
}

/* Forks a child that waits to be killed; its /proc directory ("/proc/PID/") into mine. */
static pid_t spawn_paused_child(char mine[64])
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion must not leave it behind */
        pause();
        _exit(0);
    }
    snprintf(mine, 64, "/proc/%d/", (int)child);
    return child;
}

static void test_the_real_proc_keeps_fds_and_lets_go_of_exited_processes(void **state)
{
    (void)state;
    char mine[64];
    pid_t child = spawn_paused_child(mine);
    struct capture *cap;
    void *st = real_source_init(&st_source_processes, &cap);
    assert_true(st_source_processes.collect(st, &cap->e) >= -EBADMSG);
    double total = cap_value(cap, "total", NULL, NULL);
    assert_true(total >= 2); /* this test and its child at least */
    if (total < 200) {       /* kept: the first 256 pids, and ours are among them */
        assert_int_equal(fds_on(mine), 1);
    }
    /* The second collection reads the kept fds: the same processes are there. */
    cap_reset(cap);
    st_source_processes.collect(st, &cap->e);
    assert_true(cap_value(cap, "running", NULL, NULL) >= 1); /* this test */
    assert_true(cap_value(cap, "total", NULL, NULL) >= 2);
    kill(child, SIGKILL);
    assert_int_equal(waitpid(child, NULL, 0), child);
    cap_reset(cap);
    st_source_processes.collect(st, &cap->e);
    assert_int_equal(fds_on(mine), 0); /* exited: its fd is closed */
    assert_true(fds_on("/proc/") > 0);
    st_source_processes.fini(st);
    assert_int_equal(fds_on("/proc/"), 0);
    free(cap);
}

/*
 * On the real /proc, a collection lists /proc only when a pid was taken since the last one; the
 * others read the kept fds and still see a process exit. How soon the machine is quiet enough
 * (no fork anywhere for two collections) depends on what else runs: the test waits up to 3 s.
 */
static void test_the_real_proc_is_listed_only_after_a_pid_was_taken(void **state)
{
    (void)state;
    struct capture *cap;
    void *st = real_source_init(&st_source_processes, &cap);
    bool skipped = false;
    double total = 0;
    for (int i = 0; i < 300 && !skipped; i++) {
        uint64_t before = st_processes_listings(st);
        cap_reset(cap);
        assert_true(st_source_processes.collect(st, &cap->e) >= -EBADMSG);
        skipped = st_processes_listings(st) == before;
        total = cap_value(cap, "total", NULL, NULL);
        if (!skipped) {
            usleep(10000);
        }
    }
    if (!skipped) {
        st_source_processes.fini(st);
        free(cap);
        skip(); /* pids were taken all the time: nothing to see here */
    }
    /* Without a listing, every process still counts once, through its kept fd. */
    assert_true(total >= 1);
    if (total < 200) {
        assert_int_equal(fds_on("/proc/"), (size_t)total);
    }
    /* A new process takes a pid: the next collection lists /proc and finds it. */
    char mine[64];
    pid_t child = spawn_paused_child(mine);
    uint64_t before = st_processes_listings(st);
    cap_reset(cap);
    st_source_processes.collect(st, &cap->e);
    assert_true(st_processes_listings(st) > before);
    assert_int_equal(fds_on(mine), 1);
    /* Its exit takes no pid: a collection with or without a listing lets go of it. */
    kill(child, SIGKILL);
    assert_int_equal(waitpid(child, NULL, 0), child);
    cap_reset(cap);
    st_source_processes.collect(st, &cap->e);
    assert_int_equal(fds_on(mine), 0);
    st_source_processes.fini(st);
    free(cap);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_processes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_by_state, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_total_includes_other_states, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_total_threads_sums_num_threads, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_every_measurement_as_a_count, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_second_collect_reads_the_new_snapshot, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_state_follows_the_last_parenthesis, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_stat_files_are_skipped, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_newline_in_command_name, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_many_processes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_missing_proc_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_the_real_proc_keeps_fds_and_lets_go_of_exited_processes),
        cmocka_unit_test(test_the_real_proc_is_listed_only_after_a_pid_was_taken),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
