/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the netstat source: TCP sockets by state over /proc/net/tcp{,6} and UDP sockets
 * over /proc/net/udp{,6} of the fixture trees, states outside telegraf's table, hosts without
 * IPv6, a socket table bigger than the read buffer, malformed lines and garbage; and, in a
 * network namespace of its own, a known set of live sockets in every reachable state, counted
 * through sock_diag and checked against what was opened and what the files list.
 */
#include "test_source_capture.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

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

/* The measurements a namespace test compares, in this order. */
static const char *const ns_names[] = {
    "tcp_established", "tcp_syn_sent", "tcp_syn_recv",   "tcp_fin_wait1", "tcp_fin_wait2",
    "tcp_time_wait",   "tcp_close",    "tcp_close_wait", "tcp_last_ack",  "tcp_listen",
    "tcp_closing",     "tcp_none",     "udp_socket",
};
#define NS_N (sizeof(ns_names) / sizeof(ns_names[0]))

struct ns_result {
    char error[160]; /* empty when the child got as far as counting */
    bool ipv6;
    double want[NS_N], files[NS_N], got[NS_N];
};

/* Counts what /proc/net/{tcp,tcp6,udp,udp6} list, into files[] (ns_names order). */
static void ns_count_files(double files[NS_N])
{
    static const char *const paths[] = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
                                        "/proc/net/udp6"};
    memset(files, 0, NS_N * sizeof(double));
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(paths[i], "r");
        if (!f) {
            continue;
        }
        char line[512];
        unsigned st;
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "%*s %*s %*s %x", &st) != 1) {
                continue; /* the header */
            }
            if (i >= 2) {
                files[NS_N - 1]++;
            } else {
                files[st >= 1 && st <= 11 ? st - 1 : 11]++;
            }
        }
        fclose(f);
    }
}

static int ns_tcp_pair(int listener, int family, int ret_fd[2])
{
    struct sockaddr_storage a;
    socklen_t len = sizeof(a);
    if (getsockname(listener, (struct sockaddr *)&a, &len) < 0) {
        return -1;
    }
    ret_fd[0] = socket(family, SOCK_STREAM, 0);
    if (ret_fd[0] < 0 || connect(ret_fd[0], (struct sockaddr *)&a, len) < 0) {
        return -1;
    }
    ret_fd[1] = accept(listener, NULL, NULL);
    return ret_fd[1] < 0 ? -1 : 0;
}

static int ns_udp(int family, bool do_bind)
{
    int fd = socket(family, SOCK_DGRAM, 0);
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (fd < 0 || !do_bind) {
        return fd;
    }
    int r = family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof(a4))
                              : bind(fd, (struct sockaddr *)&a6, sizeof(a6));
    return r < 0 ? -1 : fd;
}

/* Waits (up to 5 s) until the files list want[], as loopback delivers FINs asynchronously. */
static bool ns_settle(const double want[NS_N], double files[NS_N])
{
    for (int i = 0; i < 500; i++) {
        ns_count_files(files);
        if (memcmp(files, want, NS_N * sizeof(double)) == 0) {
            return true;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

#define NS_FAIL(...)                                                                               \
    do {                                                                                           \
        snprintf(res->error, sizeof(res->error), __VA_ARGS__);                                     \
        return;                                                                                    \
    } while (0)

/* The child's side: a namespace with loopback up, the sockets, then one collection. */
static void ns_child(struct ns_result *res)
{
    if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        NS_FAIL("unshare(CLONE_NEWNET): %s", strerror(errno));
    }
    int ctl = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ctl < 0 || ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0) {
        NS_FAIL("SIOCGIFFLAGS lo: %s", strerror(errno));
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0) {
        NS_FAIL("SIOCSIFFLAGS lo: %s", strerror(errno));
    }
    close(ctl);
    double *want = res->want;
    int l4 = listen_on(AF_INET);
    if (l4 < 0) {
        NS_FAIL("listen on 127.0.0.1: %s", strerror(errno));
    }
    int l6 = listen_on(AF_INET6);
    res->ipv6 = l6 >= 0;
    want[9] = 1 + res->ipv6; /* listen */
    /* Established both ways; over IPv6 too when there is IPv6. */
    int est[2], est6[2];
    if (ns_tcp_pair(l4, AF_INET, est) < 0 || (l6 >= 0 && ns_tcp_pair(l6, AF_INET6, est6) < 0)) {
        NS_FAIL("connect: %s", strerror(errno));
    }
    want[0] = 2 + 2 * res->ipv6;
    /* A half-close: the closer in FIN_WAIT2, its peer in CLOSE_WAIT. */
    int half[2];
    if (ns_tcp_pair(l4, AF_INET, half) < 0 || shutdown(half[1], SHUT_WR) < 0) {
        NS_FAIL("half-close: %s", strerror(errno));
    }
    want[4] = 1, want[7] = 1;
    /* Closed both ways, the first closer in TIME_WAIT, the other gone. */
    int tw[2];
    if (ns_tcp_pair(l4, AF_INET, tw) < 0 || shutdown(tw[1], SHUT_WR) < 0) {
        NS_FAIL("close: %s", strerror(errno));
    }
    want[5] = 1;
    /* Bound, neither listening nor connected: in neither the files nor the counts. */
    int bound = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bound < 0 || bind(bound, (struct sockaddr *)&a4, sizeof(a4)) < 0) {
        NS_FAIL("bind: %s", strerror(errno));
    }
    /* UDP: bound of both families and a connected one count, an unbound one does not. */
    int u4 = ns_udp(AF_INET, true), u6 = res->ipv6 ? ns_udp(AF_INET6, true) : -1;
    int unbound = ns_udp(AF_INET, false);
    if (u4 < 0 || (res->ipv6 && u6 < 0) || unbound < 0) {
        NS_FAIL("udp: %s", strerror(errno));
    }
    struct sockaddr_storage ua;
    socklen_t ualen = sizeof(ua);
    int uc = ns_udp(AF_INET, false);
    if (getsockname(u4, (struct sockaddr *)&ua, &ualen) < 0 || uc < 0 ||
        connect(uc, (struct sockaddr *)&ua, ualen) < 0) {
        NS_FAIL("udp connect: %s", strerror(errno));
    }
    want[NS_N - 1] = 2 + res->ipv6;
    /* The TIME_WAIT pair: the peer reads the FIN, then closes. */
    char c;
    if (read(tw[0], &c, 1) != 0 || close(tw[0]) < 0) {
        NS_FAIL("time-wait: %s", strerror(errno));
    }
    if (!ns_settle(want, res->files)) {
        NS_FAIL("the files never listed the sockets opened");
    }
    struct st_source_config cfg;
    config_default(&cfg, "/");
    void *st;
    struct capture *cap = calloc(1, sizeof(*cap));
    if (!cap || st_source_netstat.init(&cfg, &st) < 0) {
        NS_FAIL("init failed");
    }
    /* Twice: the second collection reuses the netlink socket. */
    for (int round = 0; round < 2; round++) {
        cap_reset(cap);
        int r = st_source_netstat.collect(st, &cap->e);
        if (r < 0) {
            NS_FAIL("collect: %s", strerror(-r));
        }
    }
    for (size_t i = 0; i < NS_N; i++) {
        res->got[i] = cap_value(cap, ns_names[i], NULL, NULL);
    }
    st_source_netstat.fini(st);
    free(cap);
}

static void test_known_sockets_counted_exactly(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* No cmocka in the child: it reports through the pipe and exits. */
        static struct ns_result res;
        ns_child(&res);
        ssize_t w = write(p[1], &res, sizeof(res));
        _exit(w == (ssize_t)sizeof(res) ? 0 : 1);
    }
    close(p[1]);
    struct ns_result res;
    ssize_t got = read(p[0], &res, sizeof(res));
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(got, (ssize_t)sizeof(res));
    if (res.error[0]) {
        fail_msg("netns child: %s", res.error);
    }
    for (size_t i = 0; i < NS_N; i++) {
        if (res.got[i] != res.want[i] || res.files[i] != res.want[i]) {
            fail_msg("%s: counted %g, files %g, opened %g (ipv6 %d)", ns_names[i], res.got[i],
                     res.files[i], res.want[i], res.ipv6);
        }
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
        cmocka_unit_test(test_known_sockets_counted_exactly),
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
