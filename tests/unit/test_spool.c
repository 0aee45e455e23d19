/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the agent's spool: replay order across reopen and across segments, the
 * delivered-cursor surviving a reopen, the size bound dropping the oldest, a torn tail after a
 * crash (cut short, or garbage past the last record) keeping every record before it, damage in
 * a record's bytes, consumed segments deleted, sends served from memory, and the per-file
 * `.batch` spool of earlier versions taken over in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "stratus/alloc.h"

static int setup(void **state)
{
    char *dir = malloc(64);
    snprintf(dir, 64, "/tmp/test_spool.XXXXXX");
    assert_non_null(mkdtemp(dir));
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", (char *)*state);
    assert_int_equal(system(cmd), 0);
    free(*state);
    return 0;
}

static struct st_spool *open_spool(const char *dir, uint64_t max_bytes)
{
    struct st_spool *s;
    assert_int_equal(st_spool_open(dir, max_bytes, false, &s, NULL), 0);
    return s;
}

static void push_str(struct st_spool *s, const char *text)
{
    assert_int_equal(st_spool_push(s, (const uint8_t *)text, strlen(text)), 0);
}

static void expect_pop(struct st_spool *s, const char *text)
{
    const uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_peek(s, &buf, &len), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, len);
    st_spool_pop(s, false);
}

static void expect_empty(struct st_spool *s)
{
    const uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_count(s), 0);
    assert_int_equal(st_spool_peek(s, &buf, &len), -ENOENT);
}

/* The one segment file of dir (the tests that use it make one). */
static void segment_path(const char *dir, char *buf, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".seg") == 0) {
            snprintf(buf, len, "%s/%s", dir, e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
}

static size_t count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t found = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        found += n > 4 && strcmp(e->d_name + n - 4, ".seg") == 0;
    }
    closedir(d);
    return found;
}

/* Offset just past the end of the last record: where the zero fill of the segment starts. */
static long records_end(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    long end = 0, pos = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        pos++;
        if (c) {
            end = pos;
        }
    }
    fclose(f);
    return end;
}

static void patch(const char *path, long off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
    close(fd);
}

static void test_batches_replay_in_order_after_a_restart(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "one");
    push_str(s, "two");
    push_str(s, "three");
    st_spool_free(s); /* the agent stops (or is killed) here */
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 3);
    expect_pop(s, "one");
    push_str(s, "four"); /* appended after what was found */
    expect_pop(s, "two");
    expect_pop(s, "three");
    expect_pop(s, "four");
    expect_empty(s);
    st_spool_free(s);
}

static void test_what_was_delivered_is_not_replayed(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "a");
    push_str(s, "b");
    push_str(s, "c");
    expect_pop(s, "a");
    expect_pop(s, "b");
    st_spool_free(s);
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 1);
    expect_pop(s, "c");
    expect_empty(s);
    st_spool_free(s);
    s = open_spool(*state, 1 << 20); /* all delivered: nothing comes back */
    expect_empty(s);
    push_str(s, "d");
    st_spool_free(s);
    s = open_spool(*state, 1 << 20);
    expect_pop(s, "d");
    expect_empty(s);
    st_spool_free(s);
}

static void test_the_bound_drops_the_oldest_and_counts_them(void **state)
{
    /* Each record is 24 bytes of header and 4 of batch: a bound of 60 holds two. */
    struct st_spool *s = open_spool(*state, 60);
    push_str(s, "aaaa");
    push_str(s, "bbbb");
    push_str(s, "cccc"); /* 84 bytes > 60: "aaaa" goes */
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    assert_int_equal(st.dropped_full, 1);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.bytes, 56);
    st_spool_free(s);
    s = open_spool(*state, 60); /* the drop is remembered */
    assert_int_equal(st_spool_count(s), 2);
    expect_pop(s, "bbbb");
    expect_pop(s, "cccc");
    expect_empty(s);
    st_spool_free(s);
}

static void test_a_torn_tail_keeps_every_record_before_it(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "first");
    push_str(s, "second");
    push_str(s, "third batch");
    st_spool_free(s);
    char path[256];
    segment_path(*state, path, sizeof(path));
    long end = records_end(path);
    /* A crash halfway through the third append: its last 6 bytes never reached the file. */
    static const uint8_t zeros[6];
    patch(path, end - 6, zeros, sizeof(zeros));
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 2);
    push_str(s, "fourth"); /* overwrites the torn record */
    st_spool_free(s);
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 3);
    expect_pop(s, "first");
    expect_pop(s, "second");
    expect_pop(s, "fourth");
    expect_empty(s);
    st_spool_free(s);
}

static void test_garbage_after_the_last_record_is_ignored(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "kept");
    st_spool_free(s);
    char path[256];
    segment_path(*state, path, sizeof(path));
    long end = records_end(path);
    /* A header whose length runs past the file, then one that claims a length of 0. */
    static const uint8_t long_hdr[8] = {'S', 'P', 'L', '1', 0xff, 0xff, 0xff, 0x00};
    patch(path, end, long_hdr, sizeof(long_hdr));
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 1);
    expect_pop(s, "kept");
    expect_empty(s);
    push_str(s, "next"); /* appended where the garbage was */
    st_spool_free(s);
    static const uint8_t zero_len[8] = {'S', 'P', 'L', '1', 0, 0, 0, 0};
    patch(path, end + 24 + 4, zero_len, sizeof(zero_len)); /* a header of length 0 after it */
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 1);
    expect_pop(s, "next");
    expect_empty(s);
    st_spool_free(s);
}

static void test_a_damaged_batch_is_not_sent(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "good one");
    push_str(s, "flipped!");
    push_str(s, "after it");
    st_spool_free(s);
    char path[256];
    segment_path(*state, path, sizeof(path));
    /* Records are 32 bytes each (24 + 8): flip a byte of the second batch. */
    patch(path, 32 + 24 + 3, "X", 1);
    s = open_spool(*state, 1 << 20);
    /* The scan stops at the record that does not check: what came after it is not trusted. */
    assert_int_equal(st_spool_count(s), 1);
    expect_pop(s, "good one");
    expect_empty(s);
    st_spool_free(s);
}

static void test_replay_order_holds_across_segments_and_sent_ones_go(void **state)
{
    /* A bound of 1 MiB makes 64 KiB segments: 20 batches of 10 kB span four of them. */
    struct st_spool *s = open_spool(*state, 1 << 20);
    static char batch[10000];
    for (int i = 0; i < 20; i++) {
        memset(batch, 'a' + i, sizeof(batch) - 1);
        push_str(s, batch);
    }
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    assert_int_equal(st.batches, 20);
    assert_true(st.segments >= 3);
    assert_int_equal(count_segments(*state), st.segments);
    st_spool_free(s);
    s = open_spool(*state, 1 << 20);
    assert_int_equal(st_spool_count(s), 20);
    for (int i = 0; i < 20; i++) {
        memset(batch, 'a' + i, sizeof(batch) - 1);
        if (i == 10) { /* half sent: reopen */
            st_spool_free(s);
            s = open_spool(*state, 1 << 20);
            assert_int_equal(st_spool_count(s), 10);
        }
        expect_pop(s, batch);
    }
    expect_empty(s);
    assert_int_equal(count_segments(*state), 1); /* only the tail, to append to */
    st_spool_free(s);
}

static void test_the_newest_batch_is_sent_from_memory(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "older");
    push_str(s, "newest");
    char path[256];
    segment_path(*state, path, sizeof(path));
    /* Damage both on disk: the older one is read back (and fails its check), the newest is
     * not read at all. */
    long end = records_end(path);
    patch(path, 24 + 1, "X", 1);
    patch(path, end - 1, "X", 1);
    const uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_peek(s, &buf, &len), -EBADMSG);
    st_spool_pop(s, true);
    expect_pop(s, "newest");
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.dropped_rejected, 1);
    st_spool_free(s);
}

static void test_a_peeked_batch_displaced_from_memory_is_read_back(void **state)
{
    /* The sender peeks the newest batch (served from memory), its send fails, newer batches
     * are spooled meanwhile: the retry reads the first one back from disk. */
    struct st_spool *s = open_spool(*state, 1 << 20);
    push_str(s, "in flight");
    const uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_peek(s, &buf, &len), 0);
    push_str(s, "newer");
    push_str(s, "newest");
    expect_pop(s, "in flight");
    expect_pop(s, "newer");
    expect_pop(s, "newest");
    expect_empty(s);
    st_spool_free(s);
}

static void test_a_batch_larger_than_a_segment_gets_its_own(void **state)
{
    struct st_spool *s = open_spool(*state, 1 << 20);
    size_t n = 300000; /* over the 64 KiB segments and over what is kept in memory */
    char *big = malloc(n + 1);
    memset(big, 'z', n);
    big[n] = '\0';
    push_str(s, "small");
    push_str(s, big);
    push_str(s, "after");
    st_spool_free(s);
    s = open_spool(*state, 1 << 20);
    expect_pop(s, "small");
    expect_pop(s, big);
    expect_pop(s, "after");
    expect_empty(s);
    st_spool_free(s);
    free(big);
}

/* Writes dir/name holding text (a batch of the per-file spool). */
static void write_v0(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static bool v0_files_left(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    bool left = false;
    while ((e = readdir(d))) {
        left = left || strstr(e->d_name, ".batch") != NULL;
    }
    closedir(d);
    return left;
}

static void test_per_file_batches_are_imported_in_order(void **state)
{
    const char *dir = *state;
    write_v0(dir, "000000000000000a.batch", "third");
    write_v0(dir, "0000000000000001.batch", "first");
    write_v0(dir, "0000000000000002.batch", "second");
    write_v0(dir, "000000000000000b.batch", "");                  /* cannot have been sealed */
    write_v0(dir, "000000000000000c.batch.tmp", "unsealed");      /* never sealed */
    write_v0(dir, "0000000000000003.batches", "not one of ours"); /* left alone */
    struct st_spool *s = open_spool(dir, 1 << 20);
    assert_int_equal(st_spool_count(s), 3);
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    assert_int_equal(st.dropped_corrupt, 1);
    expect_pop(s, "first");
    st_spool_free(s);
    /* Imported once: after a restart the rest is in the segments, not imported again. */
    char path[256];
    snprintf(path, sizeof(path), "%s/0000000000000003.batches", dir);
    assert_int_equal(unlink(path), 0);
    assert_false(v0_files_left(dir));
    s = open_spool(dir, 1 << 20);
    assert_int_equal(st_spool_count(s), 2);
    expect_pop(s, "second");
    expect_pop(s, "third");
    expect_empty(s);
    st_spool_free(s);
}

static void test_per_file_batches_go_after_the_segments(void **state)
{
    const char *dir = *state;
    struct st_spool *s = open_spool(dir, 1 << 20);
    push_str(s, "segment one");
    push_str(s, "segment two");
    st_spool_free(s);
    write_v0(dir, "0000000000000005.batch", "old file");
    s = open_spool(dir, 1 << 20);
    assert_int_equal(st_spool_count(s), 3);
    expect_pop(s, "segment one");
    expect_pop(s, "segment two");
    expect_pop(s, "old file");
    push_str(s, "new");
    expect_pop(s, "new");
    expect_empty(s);
    st_spool_free(s);
    assert_false(v0_files_left(dir));
}

static uint64_t syncs(const struct st_spool *s)
{
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    return st.syncs;
}

/*
 * A batch that goes out at once is not synced (the page cache keeps it through a kill -9); one
 * that waits behind others, or after a failed send, is. Real fdatasyncs here (sync true).
 */
static void test_a_batch_is_synced_when_it_has_to_wait(void **state)
{
    const char *dir = *state;
    struct st_spool *s;
    assert_int_equal(st_spool_open(dir, 1 << 20, true, &s, NULL), 0);
    uint64_t base = syncs(s); /* creating the first segment syncs the file, not a batch */
    push_str(s, "one");
    assert_int_equal(syncs(s), base); /* alone: it is sent next */
    push_str(s, "two");
    assert_int_equal(syncs(s), base + 1); /* behind "one": both durable now */
    assert_int_equal(st_spool_sync(s), 0);
    assert_int_equal(syncs(s), base + 1); /* nothing new to sync */
    expect_pop(s, "one");
    expect_pop(s, "two");
    push_str(s, "three");
    assert_int_equal(syncs(s), base + 1);
    assert_int_equal(st_spool_sync(s), 0); /* its send failed: the sender syncs */
    assert_int_equal(syncs(s), base + 2);
    st_spool_free(s);
    s = open_spool(dir, 1 << 20);
    expect_pop(s, "three");
    expect_empty(s);
    st_spool_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_per_file_batches_are_imported_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_per_file_batches_go_after_the_segments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batches_replay_in_order_after_a_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_what_was_delivered_is_not_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_bound_drops_the_oldest_and_counts_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_torn_tail_keeps_every_record_before_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_after_the_last_record_is_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_batch_is_not_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_order_holds_across_segments_and_sent_ones_go,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_newest_batch_is_sent_from_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_peeked_batch_displaced_from_memory_is_read_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_larger_than_a_segment_gets_its_own, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_batch_is_synced_when_it_has_to_wait, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
