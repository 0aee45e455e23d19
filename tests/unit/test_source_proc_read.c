/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the sources' shared reading helpers: root normalisation, the line reader
 * (buffer-sized and overlong lines, a missing final newline, empty files), field splitting,
 * strict number parsing, /proc/meminfo lines, the resources filter and the device table.
 */
#include "test_source_capture.h"

#include <errno.h>
#include <sys/prctl.h>

#include "proc_read.h"
#include "stratus/alloc.h"

static struct st_cursor cur(const char *s)
{
    struct st_cursor c;
    st_cursor_init(&c, (const uint8_t *)s, strlen(s));
    return c;
}

static void test_root_slash_becomes_empty(void **state)
{
    (void)state;
    char *r;
    assert_int_equal(st_proc_root_dup("/", &r), 0);
    assert_string_equal(r, "");
    st_free(r);
    assert_int_equal(st_proc_root_dup(NULL, &r), 0);
    assert_string_equal(r, "");
    st_free(r);
}

static void test_root_trailing_slashes_go(void **state)
{
    (void)state;
    char *r;
    assert_int_equal(st_proc_root_dup("/host//", &r), 0);
    assert_string_equal(r, "/host");
    st_free(r);
}

static void test_path_too_long_is_enametoolong(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(st_proc_path(buf, sizeof(buf), "/host", "/proc/stat"), -ENAMETOOLONG);
}

/* Reads every line of text (written to a scratch file) with a buffer of cap bytes. */
static int read_lines(const char *text, size_t cap, char out[][64], size_t max, size_t *ret_n,
                      unsigned *ret_overlong)
{
    char dir[PATH_MAX];
    if (scratch_setup(dir) < 0 || write_file(dir, "f", text) < 0) {
        return -1;
    }
    char *buf = malloc(cap);
    struct st_proc_reader r;
    int ret = st_proc_open(&r, dir, "/f", buf, cap);
    size_t n = 0;
    struct st_cursor line;
    while (ret == 0 && st_proc_next_line(&r, &line) > 0) {
        if (n < max) {
            snprintf(out[n], 64, "%.*s", (int)st_cursor_left(&line), (const char *)line.pos);
        }
        n++;
    }
    *ret_overlong = r.overlong;
    st_proc_close(&r);
    free(buf);
    scratch_teardown(dir);
    *ret_n = n;
    return ret;
}

/* The first line of root + path through a kept reader, into out. */
static int kept_first_line(int *kept, const char *root, const char *path, char *out, size_t size)
{
    char buf[256];
    struct st_proc_reader r;
    int ret = st_proc_open_kept(&r, kept, root, path, buf, sizeof(buf));
    struct st_cursor line;
    if (ret == 0 && st_proc_next_line(&r, &line) > 0) {
        snprintf(out, size, "%.*s", (int)st_cursor_left(&line), (const char *)line.pos);
    } else if (ret == 0) {
        ret = -EBADMSG;
    }
    st_proc_close(&r);
    return ret;
}

static void test_a_procfs_file_stays_open_and_reads_afresh(void **state)
{
    (void)state;
    char old_name[17] = {0}, got[64];
    assert_int_equal(prctl(PR_GET_NAME, old_name), 0);
    int kept = -1;
    assert_int_equal(kept_first_line(&kept, "", "/proc/thread-self/comm", got, sizeof(got)), 0);
    assert_string_equal(got, old_name);
    assert_true(kept >= 0);
    int fd = kept;
    assert_int_equal(prctl(PR_SET_NAME, "kept-reader"), 0);
    assert_int_equal(kept_first_line(&kept, "", "/proc/thread-self/comm", got, sizeof(got)), 0);
    assert_int_equal(prctl(PR_SET_NAME, old_name), 0);
    assert_int_equal(kept, fd); /* the same open file, read again from its start */
    assert_string_equal(got, "kept-reader");
    st_proc_kept_close(&kept);
    assert_int_equal(kept, -1);
    st_proc_kept_close(&kept);
}

static void test_a_regular_file_is_opened_each_time(void **state)
{
    (void)state;
    char dir[PATH_MAX], got[64];
    assert_int_equal(scratch_setup(dir), 0);
    assert_int_equal(write_file(dir, "f.new", "one\n"), 0);
    char from[PATH_MAX + 8], to[PATH_MAX + 8];
    snprintf(from, sizeof(from), "%s/f.new", dir);
    snprintf(to, sizeof(to), "%s/f", dir);
    assert_int_equal(rename(from, to), 0);
    int kept = -1;
    assert_int_equal(kept_first_line(&kept, dir, "/f", got, sizeof(got)), 0);
    assert_string_equal(got, "one");
    assert_int_equal(kept, -1);
    /* A fixture tree swapped between collections: the new file is read. */
    assert_int_equal(write_file(dir, "f.new", "two\n"), 0);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(kept_first_line(&kept, dir, "/f", got, sizeof(got)), 0);
    assert_string_equal(got, "two");
    assert_int_equal(kept_first_line(&kept, dir, "/missing", got, sizeof(got)), -ENOENT);
    scratch_teardown(dir);
}

static void test_lines_split_on_newlines(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    assert_int_equal(read_lines("a b\n\ncd\n", 64, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "a b");
    assert_string_equal(out[1], "");
    assert_string_equal(out[2], "cd");
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    assert_int_equal(read_lines("one\ntwo", 64, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 2);
    assert_string_equal(out[1], "two");
}

static void test_lines_across_refills(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    /* A 4-byte buffer holds "abc\n" and nothing more. */
    assert_int_equal(read_lines("abc\nde\nf\n", 4, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "abc");
    assert_string_equal(out[1], "de");
    assert_string_equal(out[2], "f");
    assert_int_equal(overlong, 0);
}

static void test_overlong_line_is_skipped_whole(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    assert_int_equal(read_lines("ok\nthis line is too long\nafter\n", 8, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 2);
    assert_string_equal(out[0], "ok");
    assert_string_equal(out[1], "after");
    assert_int_equal(overlong, 1);
}

static void test_overlong_last_line_without_newline(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    assert_int_equal(read_lines("ok\nthis line is too long", 8, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 1);
    assert_int_equal(overlong, 1);
}

static void test_empty_file_has_no_lines(void **state)
{
    (void)state;
    char out[8][64];
    size_t n;
    unsigned overlong;
    assert_int_equal(read_lines("", 8, out, 8, &n, &overlong), 0);
    assert_int_equal(n, 0);
}

static void test_missing_file_is_enoent(void **state)
{
    (void)state;
    char buf[16];
    struct st_proc_reader r;
    assert_int_equal(st_proc_open(&r, "/nonexistent-root", "/proc/stat", buf, sizeof(buf)),
                     -ENOENT);
    st_proc_close(&r);
}

static void test_fields_skip_blanks(void **state)
{
    (void)state;
    struct st_cursor c = cur("  a\t bc \r"), f;
    assert_int_equal(st_proc_field(&c, &f), 0);
    assert_true(st_proc_field_eq(&f, "a"));
    assert_int_equal(st_proc_field(&c, &f), 0);
    assert_true(st_proc_field_eq(&f, "bc"));
    assert_int_equal(st_proc_field(&c, &f), -EBADMSG);
}

static void test_u64_is_strict(void **state)
{
    (void)state;
    uint64_t v;
    struct st_cursor c = cur("18446744073709551615");
    assert_int_equal(st_proc_parse_u64(&c, &v), 0);
    assert_true(v == UINT64_MAX);
    c = cur("18446744073709551616");
    assert_int_equal(st_proc_parse_u64(&c, &v), -ERANGE);
    c = cur("-1");
    assert_int_equal(st_proc_parse_u64(&c, &v), -EBADMSG);
    c = cur("12a");
    assert_int_equal(st_proc_parse_u64(&c, &v), -EBADMSG);
    c = cur("");
    assert_int_equal(st_proc_parse_u64(&c, &v), -EBADMSG);
}

static void test_hex_with_or_without_prefix(void **state)
{
    (void)state;
    uint64_t v;
    struct st_cursor c = cur("0x1003");
    assert_int_equal(st_proc_parse_hex(&c, &v), 0);
    assert_int_equal(v, 0x1003);
    c = cur("0A");
    assert_int_equal(st_proc_parse_hex(&c, &v), 0);
    assert_int_equal(v, 10);
    c = cur("0x");
    assert_int_equal(st_proc_parse_hex(&c, &v), -EBADMSG);
    c = cur("1ffffffffffffffff");
    assert_int_equal(st_proc_parse_hex(&c, &v), -ERANGE);
}

static void test_meminfo_line_in_kb(void **state)
{
    (void)state;
    struct st_cursor c = cur("MemTotal:        8000 kB"), key;
    uint64_t v;
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), 0);
    assert_true(st_proc_field_eq(&key, "MemTotal"));
    assert_int_equal(v, 8000 * 1024);
}

static void test_meminfo_line_without_unit(void **state)
{
    (void)state;
    struct st_cursor c = cur("HugePages_Total:       7"), key;
    uint64_t v;
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), 0);
    assert_int_equal(v, 7);
}

static void test_meminfo_line_malformed(void **state)
{
    (void)state;
    struct st_cursor key;
    uint64_t v;
    struct st_cursor c = cur("MemTotal: 12 MB");
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), -EBADMSG);
    c = cur("MemTotal 12 kB");
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), -EBADMSG);
    c = cur(": 12 kB");
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), -EBADMSG);
    c = cur("MemTotal: 12 kB extra");
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), -EBADMSG);
    c = cur("MemTotal: 18446744073709551615 kB");
    assert_int_equal(st_proc_meminfo_line(&c, &key, &v), -ERANGE);
}

static void test_filter_all_matches_everything(void **state)
{
    (void)state;
    struct st_source_config cfg;
    config_default(&cfg, "/");
    struct st_proc_filter f;
    assert_int_equal(st_proc_filter_init(&f, &cfg), 0);
    assert_true(st_proc_filter_match(&f, "anything"));
    assert_false(st_proc_filter_explicit(&f));
    st_proc_filter_fini(&f);
}

static void test_filter_empty_list_matches_everything(void **state)
{
    (void)state;
    struct st_source_config cfg;
    config_default(&cfg, "/");
    cfg.all_resources = false;
    struct st_proc_filter f;
    assert_int_equal(st_proc_filter_init(&f, &cfg), 0);
    assert_true(st_proc_filter_match(&f, "eth0"));
    st_proc_filter_fini(&f);
}

static void test_filter_names_and_patterns(void **state)
{
    (void)state;
    struct st_source_config cfg;
    config_default(&cfg, "/");
    config_add_resource(&cfg, "eth*");
    config_add_resource(&cfg, "/");
    struct st_proc_filter f;
    assert_int_equal(st_proc_filter_init(&f, &cfg), 0);
    assert_true(st_proc_filter_explicit(&f));
    assert_true(st_proc_filter_match(&f, "eth0"));
    assert_true(st_proc_filter_match(&f, "/"));
    assert_false(st_proc_filter_match(&f, "/boot"));
    assert_false(st_proc_filter_match(&f, "lo"));
    st_proc_filter_fini(&f);
}

static void test_filter_init_out_of_memory(void **state)
{
    (void)state;
    struct st_source_config cfg;
    config_default(&cfg, "/");
    config_add_resource(&cfg, "a");
    config_add_resource(&cfg, "b");
    for (unsigned k = 1; k <= 3; k++) {
        struct st_proc_filter f;
        st_alloc_fail_after(k);
        int r = st_proc_filter_init(&f, &cfg);
        st_alloc_fail_disarm();
        assert_int_equal(r, -ENOMEM);
    }
}

static void test_devices_keep_order_and_forget_unseen(void **state)
{
    (void)state;
    struct st_proc_devs t = {0};
    struct st_proc_dev *d;
    bool is_new;
    st_proc_devs_begin(&t);
    assert_int_equal(st_proc_devs_get(&t, "sda", &d, &is_new), 0);
    assert_true(is_new);
    d->v[0] = 7;
    assert_int_equal(st_proc_devs_get(&t, "sdb", &d, &is_new), 0);
    st_proc_devs_end(&t);
    st_proc_devs_begin(&t);
    assert_int_equal(st_proc_devs_get(&t, "sda", &d, &is_new), 0);
    assert_false(is_new);
    assert_int_equal(d->v[0], 7);
    assert_int_equal(st_proc_devs_get(&t, "sda", &d, &is_new), -EEXIST);
    st_proc_devs_end(&t);
    assert_int_equal(t.n, 1);
    st_proc_devs_begin(&t);
    assert_int_equal(st_proc_devs_get(&t, "sdb", &d, &is_new), 0);
    assert_true(is_new);
    st_proc_devs_end(&t);
    st_proc_devs_fini(&t);
}

static void test_devices_name_too_long(void **state)
{
    (void)state;
    struct st_proc_devs t = {0};
    struct st_proc_dev *d;
    bool is_new;
    st_proc_devs_begin(&t);
    assert_int_equal(st_proc_devs_get(&t, "0123456789012345678901234567890123", &d, &is_new),
                     -ENAMETOOLONG);
    st_proc_devs_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_slash_becomes_empty),
        cmocka_unit_test(test_a_procfs_file_stays_open_and_reads_afresh),
        cmocka_unit_test(test_a_regular_file_is_opened_each_time),
        cmocka_unit_test(test_root_trailing_slashes_go),
        cmocka_unit_test(test_path_too_long_is_enametoolong),
        cmocka_unit_test(test_lines_split_on_newlines),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_lines_across_refills),
        cmocka_unit_test(test_overlong_line_is_skipped_whole),
        cmocka_unit_test(test_overlong_last_line_without_newline),
        cmocka_unit_test(test_empty_file_has_no_lines),
        cmocka_unit_test(test_missing_file_is_enoent),
        cmocka_unit_test(test_fields_skip_blanks),
        cmocka_unit_test(test_u64_is_strict),
        cmocka_unit_test(test_hex_with_or_without_prefix),
        cmocka_unit_test(test_meminfo_line_in_kb),
        cmocka_unit_test(test_meminfo_line_without_unit),
        cmocka_unit_test(test_meminfo_line_malformed),
        cmocka_unit_test(test_filter_all_matches_everything),
        cmocka_unit_test(test_filter_empty_list_matches_everything),
        cmocka_unit_test(test_filter_names_and_patterns),
        cmocka_unit_test(test_filter_init_out_of_memory),
        cmocka_unit_test(test_devices_keep_order_and_forget_unseen),
        cmocka_unit_test(test_devices_name_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
