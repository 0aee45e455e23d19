/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the write-ahead log: durability callbacks in LSN order with group commit,
 * replay of every record, torn tails, corruption, segment rotation and truncation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "stratus/alloc.h"
#include "wal.h"

struct fixture {
    char dir[64];
    struct event_base *base;
    uint64_t done[4096];
    int status[4096];
    size_t n_done;
};

struct replayed {
    uint64_t lsn[4096];
    enum st_wal_type type[4096];
    char payload[4096][32];
    size_t n;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_wal.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    evthread_use_pthreads();
    f->base = event_base_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    event_base_free(f->base);
    free(f);
    return 0;
}

static void on_done(uint64_t lsn, int status, void *data)
{
    struct fixture *f = data;
    f->done[f->n_done] = lsn;
    f->status[f->n_done] = status;
    f->n_done++;
}

static void append_str(struct fixture *f, struct st_wal *w, enum st_wal_type type, const char *s)
{
    size_t len = strlen(s);
    uint8_t *p = st_malloc(len);
    memcpy(p, s, len);
    assert_int_equal(st_wal_append(w, type, 1000, p, len, on_done, f, NULL), 0);
}

static void wait_done(struct fixture *f, size_t n)
{
    while (f->n_done < n) {
        event_base_loop(f->base, EVLOOP_ONCE);
    }
}

static int on_replay(uint64_t lsn, enum st_wal_type type, int64_t arrival_ms,
                     const uint8_t *payload, size_t len, void *data)
{
    struct replayed *r = data;
    (void)arrival_ms;
    r->lsn[r->n] = lsn;
    r->type[r->n] = type;
    snprintf(r->payload[r->n], sizeof(r->payload[0]), "%.*s", (int)len, (const char *)payload);
    r->n++;
    return 0;
}

static struct st_wal *open_wal(struct fixture *f, size_t segment_bytes, uint64_t next_lsn)
{
    struct st_wal_opts o = {
        .dir = f->dir, .fsync = true, .segment_bytes = segment_bytes, .w1 = 11, .w60 = 60};
    struct st_wal *w;
    struct st_error err;
    assert_int_equal(st_wal_open(f->base, &o, next_lsn, &w, &err), 0);
    return w;
}

static void test_records_are_acknowledged_in_lsn_order_and_replayed(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 0, 1);
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "record-%d", i);
        append_str(f, w, ST_WAL_PUT, buf);
    }
    wait_done(f, 100);
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(f->done[i], i + 1);
        assert_int_equal(f->status[i], 0);
    }
    st_wal_free(w);

    struct replayed *r = calloc(1, sizeof(*r));
    uint64_t next;
    struct st_error err;
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, &err), 0);
    assert_int_equal(next, 101);
    assert_int_equal(r->n, 101); /* the segment HEADER, then the records */
    assert_int_equal(r->type[0], ST_WAL_HEADER);
    for (size_t i = 1; i <= 100; i++) {
        snprintf(buf, sizeof(buf), "record-%zu", i - 1);
        assert_string_equal(r->payload[i], buf);
        assert_int_equal(r->lsn[i], i);
    }
    free(r);
}

static void test_group_commit_shares_fsyncs(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 0, 1);
    for (int i = 0; i < 2000; i++) {
        append_str(f, w, ST_WAL_PUT, "x");
    }
    wait_done(f, 2000);
    struct st_wal_stats st;
    st_wal_get_stats(w, &st);
    assert_int_equal(st.records, 2000);
    assert_true(st.syncs < 2000);
    st_wal_free(w);
}

static void test_header_carries_watermarks(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 0, 7);
    append_str(f, w, ST_WAL_PUT, "a");
    wait_done(f, 1);
    st_wal_free(w);
    struct replayed *r = calloc(1, sizeof(*r));
    uint64_t next;
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, NULL), 0);
    assert_int_equal(r->type[0], ST_WAL_HEADER);
    assert_int_equal(r->lsn[1], 7);
    assert_int_equal(next, 8);
    free(r);
}

static int only_file(const char *dir, char *path, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (strstr(e->d_name, ".wal")) {
            int w = snprintf(path, len, "%s/%s", dir, e->d_name);
            assert_true(w > 0 && (size_t)w < len);
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_torn_tail_is_cut_and_log_continues(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 0, 1);
    append_str(f, w, ST_WAL_PUT, "first");
    append_str(f, w, ST_WAL_PUT, "second-record");
    wait_done(f, 2);
    st_wal_free(w);
    char path[512];
    assert_int_equal(only_file(f->dir, path, sizeof(path)), 1);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(truncate(path, sb.st_size - 5), 0); /* a crash mid-write */

    struct replayed *r = calloc(1, sizeof(*r));
    uint64_t next;
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, NULL), 0);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->payload[1], "first");
    assert_int_equal(next, 2);
    stat(path, &sb);
    assert_int_equal(sb.st_size, 2 * ST_WAL_RECORD_HEADER_BYTES + 16 + 5);

    /* The log goes on in a new segment after the cut. */
    w = open_wal(f, 0, next);
    append_str(f, w, ST_WAL_PUT, "third");
    wait_done(f, 3);
    st_wal_free(w);
    memset(r, 0, sizeof(*r));
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, NULL), 0);
    assert_int_equal(r->n, 4);
    assert_string_equal(r->payload[3], "third");
    assert_int_equal(r->lsn[3], 2);
    free(r);
}

static void test_corruption_before_the_newest_segment_refuses_replay(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 0, 1);
    append_str(f, w, ST_WAL_PUT, "old-record");
    wait_done(f, 1);
    st_wal_free(w);
    char path[512];
    assert_int_equal(only_file(f->dir, path, sizeof(path)), 1);
    w = open_wal(f, 0, 2);
    append_str(f, w, ST_WAL_PUT, "new-record");
    wait_done(f, 2);
    st_wal_free(w);

    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 2 * ST_WAL_RECORD_HEADER_BYTES + 16 + 2), 1);
    close(fd);
    struct replayed *r = calloc(1, sizeof(*r));
    uint64_t next;
    struct st_error err;
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, &err), -EBADMSG);
    assert_non_null(strstr(err.message, "refusing to start"));
    free(r);
}

static int count_segments(const char *dir)
{
    char path[512];
    return only_file(dir, path, sizeof(path));
}

static void test_segments_rotate_and_truncate_before_deletes_old_ones(void **state)
{
    struct fixture *f = *state;
    struct st_wal *w = open_wal(f, 200, 1);
    for (int i = 0; i < 20; i++) {
        append_str(f, w, ST_WAL_PUT, "0123456789012345678901234567890123456789");
        wait_done(f, (size_t)i + 1); /* one batch per record: rotation between batches */
    }
    int before = count_segments(f->dir);
    assert_true(before >= 5);
    st_wal_truncate_before(w, 15);
    /* Deletion happens on the WAL thread: a following append's callback orders after it. */
    append_str(f, w, ST_WAL_PUT, "x");
    wait_done(f, 21);
    int after = count_segments(f->dir);
    assert_true(after < before);
    st_wal_free(w);
    struct replayed *r = calloc(1, sizeof(*r));
    uint64_t next;
    assert_int_equal(st_wal_replay(f->dir, on_replay, r, &next, NULL), 0);
    assert_int_equal(next, 22);
    /* Every record from LSN 15 on is still there. */
    uint64_t seen = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->type[i] == ST_WAL_PUT && r->lsn[i] >= 15) {
            seen++;
        }
    }
    assert_int_equal(seen, 7);
    free(r);
}

static int count_records(uint64_t lsn, enum st_wal_type type, int64_t arrival_ms,
                         const uint8_t *payload, size_t len, void *data)
{
    (void)lsn, (void)type, (void)arrival_ms, (void)payload, (void)len;
    (*(int *)data)++;
    return 0;
}

static void test_parse_rejects_garbage_without_reading_past_the_end(void **state)
{
    (void)state;
    uint8_t junk[100];
    memset(junk, 0xAB, sizeof(junk));
    int n = 0;
    uint64_t next = 1;
    size_t good;
    assert_int_equal(st_wal_parse(junk, sizeof(junk), count_records, &n, &next, &good), -EBADMSG);
    assert_int_equal(n, 0);
    assert_int_equal(good, 0);
    assert_int_equal(st_wal_parse(junk, 0, count_records, &n, &next, &good), 0);
}

static void test_watermarks_parse_requires_sixteen_bytes(void **state)
{
    (void)state;
    uint8_t p[17] = {1, 0, 0, 0, 0, 0, 0, 0, 2};
    int64_t w1, w60;
    assert_int_equal(st_wal_parse_watermarks(p, 16, &w1, &w60), 0);
    assert_int_equal(w1, 1);
    assert_int_equal(w60, 2);
    assert_int_equal(st_wal_parse_watermarks(p, 15, &w1, &w60), -EBADMSG);
    assert_int_equal(st_wal_parse_watermarks(p, 17, &w1, &w60), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_are_acknowledged_in_lsn_order_and_replayed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_shares_fsyncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_carries_watermarks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_is_cut_and_log_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corruption_before_the_newest_segment_refuses_replay,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments_rotate_and_truncate_before_deletes_old_ones,
                                        setup, teardown),
        cmocka_unit_test(test_parse_rejects_garbage_without_reading_past_the_end),
        cmocka_unit_test(test_watermarks_parse_requires_sixteen_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
