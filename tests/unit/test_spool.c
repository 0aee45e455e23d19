/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the agent's spool: order across reopen, the size bound dropping the oldest,
 * unsealed temporary files discarded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void push_str(struct st_spool *s, const char *text)
{
    assert_int_equal(st_spool_push(s, (const uint8_t *)text, strlen(text)), 0);
}

static void expect_pop(struct st_spool *s, const char *text)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_peek(s, &buf, &len), 0);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(buf, text, len);
    st_free(buf);
    st_spool_pop(s, false);
}

static void test_batches_replay_in_order_after_a_restart(void **state)
{
    struct st_spool *s;
    assert_int_equal(st_spool_open(*state, 1 << 20, false, &s, NULL), 0);
    push_str(s, "one");
    push_str(s, "two");
    push_str(s, "three");
    st_spool_free(s); /* the agent stops (or is killed) here */
    assert_int_equal(st_spool_open(*state, 1 << 20, false, &s, NULL), 0);
    assert_int_equal(st_spool_count(s), 3);
    expect_pop(s, "one");
    push_str(s, "four"); /* numbered after what was found */
    expect_pop(s, "two");
    expect_pop(s, "three");
    expect_pop(s, "four");
    uint8_t *buf;
    size_t len;
    assert_int_equal(st_spool_peek(s, &buf, &len), -ENOENT);
    st_spool_free(s);
}

static void test_the_bound_drops_the_oldest_and_counts_them(void **state)
{
    struct st_spool *s;
    assert_int_equal(st_spool_open(*state, 10, false, &s, NULL), 0);
    push_str(s, "aaaa");
    push_str(s, "bbbb");
    push_str(s, "cccc"); /* 12 bytes > 10: "aaaa" goes */
    struct st_spool_stats st;
    st_spool_get_stats(s, &st);
    assert_int_equal(st.dropped_full, 1);
    assert_int_equal(st_spool_count(s), 2);
    expect_pop(s, "bbbb");
    expect_pop(s, "cccc");
    st_spool_free(s);
}

static void test_an_unsealed_temporary_file_is_discarded(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/0000000000000009.batch.tmp", (char *)*state);
    FILE *f = fopen(path, "w");
    fputs("half", f);
    fclose(f);
    struct st_spool *s;
    assert_int_equal(st_spool_open(*state, 1 << 20, false, &s, NULL), 0);
    assert_int_equal(st_spool_count(s), 0);
    assert_int_equal(access(path, F_OK), -1);
    st_spool_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batches_replay_in_order_after_a_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_bound_drops_the_oldest_and_counts_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_unsealed_temporary_file_is_discarded, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
