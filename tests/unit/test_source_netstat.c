/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the netstat source: TCP sockets by state over /proc/net/tcp{,6} and UDP sockets
 * over /proc/net/udp{,6} of the fixture trees, states outside telegraf's table, hosts without
 * IPv6, a socket table bigger than the read buffer, malformed lines and garbage.
 */
#include "test_source_capture.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define TOL 1e-9

static int setup(void **state)
{
    return source_setup(state, &st_source_netstat);
}

static void test_counts_by_state(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* tcp: 0A 0A 01 01 06 08; tcp6: 0A 01 02. */
    assert_double_near(cap_value(t->cap, "tcp_established", NULL, NULL), 3, TOL);
    assert_double_near(cap_value(t->cap, "tcp_listen", NULL, NULL), 3, TOL);
    assert_double_near(cap_value(t->cap, "tcp_time_wait", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_close_wait", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_syn_sent", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_syn_recv", NULL, NULL), 0, TOL);
    assert_double_near(cap_value(t->cap, "tcp_none", NULL, NULL), 0, TOL);
}

static void test_udp_sockets_of_both_families(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    /* Two in udp, one in udp6; the headers are not sockets. */
    assert_double_near(cap_value(t->cap, "udp_socket", NULL, NULL), 3, TOL);
}

static void test_every_measurement_as_a_count(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(t->cap->n, 13);
    for (size_t i = 0; i < t->cap->n; i++) {
        assert_int_equal(t->cap->rec[i].unit, ST_UNIT_COUNT);
        assert_int_equal(t->cap->rec[i].n_dims, 0);
    }
}

static void test_every_state_and_unknown_ones(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, NULL), 0);
    assert_int_equal(source_test_collect(t, "proc-b"), 0);
    /* proc-b: 01..0B once each, 0C once, 01 again; tcp6 one "0a" (lower case). */
    assert_double_near(cap_value(t->cap, "tcp_established", NULL, NULL), 2, TOL);
    assert_double_near(cap_value(t->cap, "tcp_syn_recv", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_fin_wait1", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_fin_wait2", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_close", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_last_ack", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_listen", NULL, NULL), 2, TOL);
    assert_double_near(cap_value(t->cap, "tcp_closing", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_none", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "udp_socket", NULL, NULL), 1, TOL);
}

static void test_without_ipv6_files(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-c"), 0);
    assert_double_near(cap_value(t->cap, "tcp_established", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "udp_socket", NULL, NULL), 1, TOL);
}

static void test_table_bigger_than_the_buffer(void **state)
{
    struct scratch_test *t = *state;
    static char text[5000 * 160 + 200];
    int off = sprintf(text, "  sl  local_address rem_address   st tx_queue rx_queue\n");
    for (int i = 0; i < 5000; i++) {
        off += sprintf(text + off,
                       "%5d: 0A00000F:0016 0A000001:C350 %s 00000000:00000000 00:00000000 "
                       "00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n",
                       i, i % 5 == 0 ? "0A" : "01", 10000 + i);
    }
    assert_int_equal(write_file(t->dir, "proc/net/tcp", text), 0);
    assert_int_equal(scratch_test_collect(t, &st_source_netstat, NULL), 0);
    assert_double_near(cap_value(t->cap, "tcp_listen", NULL, NULL), 1000, TOL);
    assert_double_near(cap_value(t->cap, "tcp_established", NULL, NULL), 4000, TOL);
}

static void test_malformed_lines_are_skipped(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "proc-bad"), -EBADMSG);
    /* "ZZ" is an unknown state (tcp_none); the last line, without '\n', counts. */
    assert_double_near(cap_value(t->cap, "tcp_none", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "tcp_established", NULL, NULL), 1, TOL);
    assert_double_near(cap_value(t->cap, "udp_socket", NULL, NULL), 0, TOL);
}

static void test_missing_files_are_enoent(void **state)
{
    struct source_test *t = *state;
    assert_int_equal(source_test_init(t), 0);
    assert_int_equal(source_test_collect(t, "no-such-tree"), -ENOENT);
    assert_int_equal(t->cap->n, 0);
}

/* Listening sockets in /proc/net/tcp and tcp6, as the files say. */
static double listening_in_files(void)
{
    double n = 0;
    const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        if (!f) {
            continue;
        }
        char line[512], st[8];
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "%*s %*s %*s %7s", st) == 1 && strcmp(st, "0A") == 0) {
                n++;
            }
        }
        fclose(f);
    }
    return n;
}

static int listen_on(int family)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int r = family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof(a4))
                              : bind(fd, (struct sockaddr *)&a6, sizeof(a6));
    if (r < 0 || listen(fd, 1) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_real_root_counts_what_the_files_show(void **state)
{
    struct scratch_test *t = *state;
    /* Under "/" TCP comes from sock_diag when it works: it must agree with the files. */
    t->fd[0] = listen_on(AF_INET);
    t->fd[1] = listen_on(AF_INET6);
    for (int round = 0; round < 2; round++) {
        double before = listening_in_files();
        if (round == 0) {
            assert_int_equal(scratch_test_collect(t, &st_source_netstat, "/"), 0);
        } else {
            cap_reset(t->cap);
            assert_int_equal(st_source_netstat.collect(t->state, &t->cap->e), 0);
        }
        double after = listening_in_files();
        double got = cap_value(t->cap, "tcp_listen", NULL, NULL);
        /* Other processes may open or close listeners meanwhile. */
        assert_true(got >= (before < after ? before : after));
        assert_true(got <= (before > after ? before : after));
        assert_true(got >= (t->fd[0] >= 0) + (t->fd[1] >= 0));
    }
}

static void test_garbage_never_crashes(void **state)
{
    static const char *const rels[] = {"proc/net/tcp", "proc/net/tcp6", "proc/net/udp",
                                       "proc/net/udp6"};
    fuzz_source(*state, &st_source_netstat, rels, 4, 200, false);
}

static void test_init_out_of_memory(void **state)
{
    (void)state;
    check_init_out_of_memory(&st_source_netstat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_by_state, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_udp_sockets_of_both_families, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_every_measurement_as_a_count, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_every_state_and_unknown_ones, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_without_ipv6_files, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_table_bigger_than_the_buffer, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lines_are_skipped, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_missing_files_are_enoent, setup, source_teardown),
        cmocka_unit_test_setup_teardown(test_real_root_counts_what_the_files_show,
                                        scratch_test_setup, scratch_test_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, scratch_test_setup,
                                        scratch_test_teardown),
        cmocka_unit_test(test_init_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
