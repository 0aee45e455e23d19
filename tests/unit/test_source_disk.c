/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the disk source: the mounts of the fixture trees (their mount points are
 * directories of the tree, so statvfs measures the file system the tests run on, and the values
 * are checked against statvfs here), dimensions, drop_device, ignore_fs, resources, pseudo file
 * systems, escapes, the /proc/mounts fallback, malformed files and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOL 1e-6

static int setup(void **state)
{
    return source_setup(state, &st_source_disk);
}

static void test_every_mount_by_default(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* /, /run and "/data disk"; not /auto (autofs), /missing (no such directory) nor /sys
     * (sysfs never has blocks: the fixture's directory has, but is not measured). */
    assert_int_equal(cap_count_dim(t->cap, "path", "/"), 7);
    assert_int_equal(cap_count_dim(t->cap, "path", "/sys"), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/run"), 7);
    assert_int_equal(cap_count_dim(t->cap, "path", "/data disk"), 7);
    assert_int_equal(t->cap->n, 21);
}

static void test_autofs_is_always_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/auto"), 0);
}

static void test_dimensions_are_path_device_fstype(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    const struct cap_record *r = cap_find(t->cap, "used_percent", "path", "/");
    assert_non_null(r);
    assert_int_equal(r->n_dims, 3);
    assert_string_equal(cap_dim(r, "device"), "sda1");
    assert_string_equal(cap_dim(r, "fstype"), "ext4");
    r = cap_find(t->cap, "used_percent", "path", "/run");
    assert_non_null(r);
    assert_string_equal(cap_dim(r, "device"), "tmpfs");
    assert_string_equal(cap_dim(r, "fstype"), "tmpfs");
}

static void test_escaped_mount_point_is_unescaped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* The mounts file says "/data\040disk". */
    const struct cap_record *r = cap_find(t->cap, "total", "path", "/data disk");
    assert_non_null(r);
    assert_string_equal(cap_dim(r, "device"), "sda2");
    assert_string_equal(cap_dim(r, "fstype"), "xfs");
}

static void test_drop_device_leaves_path_and_fstype(void **state)
{
    struct source_test *t = *state;
    t->cfg.drop_device = true;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    const struct cap_record *r = cap_find(t->cap, "free", "path", "/");
    assert_non_null(r);
    assert_int_equal(r->n_dims, 2);
    assert_null(cap_dim(r, "device"));
    assert_string_equal(cap_dim(r, "fstype"), "ext4");
}

static void test_ignore_fs_skips_those_types(void **state)
{
    struct source_test *t = *state;
    snprintf(t->cfg.ignore_fs[0], sizeof(t->cfg.ignore_fs[0]), "sysfs");
    snprintf(t->cfg.ignore_fs[1], sizeof(t->cfg.ignore_fs[1]), "tmpfs");
    t->cfg.n_ignore_fs = 2;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/sys"), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/run"), 0);
    assert_int_equal(t->cap->n, 14);
}

static void test_resources_select_mount_points(void **state)
{
    struct source_test *t = *state;
    config_add_resource(&t->cfg, "/");
    config_add_resource(&t->cfg, "/run");
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/"), 7);
    assert_int_equal(cap_count_dim(t->cap, "path", "/run"), 7);
    assert_int_equal(t->cap->n, 14);
}

static void test_values_are_statvfs_of_the_mount_point(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    struct statvfs v;
    assert_int_equal(statvfs(t->fx.root, &v), 0);
    double frsize = (double)(v.f_frsize ? v.f_frsize : v.f_bsize);
    assert_double_near(cap_value(t->cap, "total", "path", "/"), (double)v.f_blocks * frsize, TOL);
    assert_double_near(cap_value(t->cap, "inodes_total", "path", "/"), (double)v.f_files, TOL);
    /* Free space moves while tests run: within 1 % of the size. */
    double total = (double)v.f_blocks * frsize;
    assert_double_near(cap_value(t->cap, "free", "path", "/"), (double)v.f_bavail * frsize,
                       total / 100);
}

static void test_used_percent_is_used_over_used_plus_free(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    double used = cap_value(t->cap, "used", "path", "/");
    double free_b = cap_value(t->cap, "free", "path", "/");
    assert_double_near(cap_value(t->cap, "used_percent", "path", "/"),
                       100.0 * used / (used + free_b), 1e-9);
    double itotal = cap_value(t->cap, "inodes_total", "path", "/");
    double iused = cap_value(t->cap, "inodes_used", "path", "/");
    double ifree = cap_value(t->cap, "inodes_free", "path", "/");
    assert_double_near(iused + ifree, itotal, TOL);
}

static void test_units(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(cap_find(t->cap, "free", NULL, NULL)->unit, ST_UNIT_BYTES);
    assert_int_equal(cap_find(t->cap, "inodes_free", NULL, NULL)->unit, ST_UNIT_COUNT);
    assert_int_equal(cap_find(t->cap, "used_percent", NULL, NULL)->unit, ST_UNIT_PERCENT);
}

static void test_second_collect_reads_the_new_snapshot(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    /* proc-c has only /proc/mounts, with "/". */
    assert_int_equal(cap_count_dim(t->cap, "path", "/"), 7);
    assert_int_equal(t->cap->n, 7);
}

static void test_file_system_without_blocks_is_skipped(void **state)
{
    struct scratch_test *t = *state;
    char link[PATH_MAX];
    /* A type not known to be blockless is measured: statvfs of the procfs behind it says
     * f_blocks == 0, as of sysfs and cgroup. */
    assert_int_equal(write_file(t->dir, "proc/self/mounts",
                                "proc /realproc someotherfs rw 0 0\n/dev/vda / ext4 rw 0 0\n"),
                     0);
    assert_true(snprintf(link, sizeof(link), "%s/realproc", t->dir) < (int)sizeof(link));
    assert_int_equal(symlink("/proc", link), 0);
    assert_int_equal(scratch_test_collect(t, &st_source_disk, NULL), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/realproc"), 0);
    assert_int_equal(cap_count_dim(t->cap, "path", "/"), 7);
}

static void test_malformed_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    assert_int_equal(cap_count_dim(t->cap, "path", "/"), 7);
    assert_int_equal(t->cap->n, 7);
}

static void test_missing_file_is_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/self/mounts"};
    fuzz_source(*state, &st_source_disk, rels, 1, 300, false);
}

/* In the child of the mount test: how many records have path, or -1 when collect failed. */
static int child_count(void *st, struct capture *cap, const char *path)
{
    cap_reset(cap);
    if (st_source_disk.collect(st, &cap->e) < -EBADMSG) {
        return -1;
    }
    return (int)cap_count_dim(cap, "path", path);
}

/*
 * On the real system the chosen mounts are kept between collections and re-read when poll()
 * on the mounts file says the table changed: a tmpfs mounted (in a mount namespace of the test's
 * own) shows up at the next collection and is gone after the umount. Needs CAP_SYS_ADMIN.
 */
static void test_a_mount_or_umount_is_seen_at_the_next_collection(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_disk_mount.XXXXXX";
    assert_non_null(mkdtemp(dir));
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
            _exit(77); /* not allowed here */
        }
        struct capture *cap = calloc(1, sizeof(*cap));
        struct st_source_config cfg;
        config_default(&cfg, "/");
        void *st;
        if (!cap || st_source_disk.init(&cfg, &st) < 0) {
            _exit(10);
        }
        if (child_count(st, cap, dir) != 0 || child_count(st, cap, dir) != 0) {
            _exit(11);
        }
        if (mount("stratus-test", dir, "tmpfs", 0, "size=1m") < 0) {
            _exit(77);
        }
        if (child_count(st, cap, dir) != 7) {
            _exit(12); /* the new mount, all seven measurements */
        }
        if (child_count(st, cap, dir) != 7) {
            _exit(13); /* still there, from the kept list */
        }
        if (umount(dir) < 0) {
            _exit(14);
        }
        if (child_count(st, cap, dir) != 0) {
            _exit(15);
        }
        st_source_disk.fini(st);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_disk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_mount_by_default, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_autofs_is_always_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_dimensions_are_path_device_fstype, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_escaped_mount_point_is_unescaped, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_drop_device_leaves_path_and_fstype, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_ignore_fs_skips_those_types, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_resources_select_mount_points, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_values_are_statvfs_of_the_mount_point, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_used_percent_is_used_over_used_plus_free, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_units, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_second_collect_reads_the_new_snapshot, setup,
                                        source_teardown),
        cmocka_unit_test_setup_teardown(test_file_system_without_blocks_is_skipped,
                                        scratch_test_setup, scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_are_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_a_mount_or_umount_is_seen_at_the_next_collection),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
