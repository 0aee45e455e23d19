/* SPDX-License-Identifier: MIT */
/*
 * The netstat source: TCP sockets by state from /proc/net/tcp and /proc/net/tcp6, and UDP
 * sockets from /proc/net/udp and /proc/net/udp6, as telegraf's Linux netstat input counts them:
 * the "st" column 01..0B names the state (include/net/tcp_states.h), anything else counts as
 * tcp_none. A missing *6 file (no IPv6) counts as empty. All gauges, from the first collection.
 *
 * Reading /proc/net/tcp walks the kernel's whole TCP hash table (262144 buckets on a 24 GB
 * machine) once per read() and again at EOF, and tcp6 walks it again: 5-10 ms per collection
 * on the development VM with a handful of sockets. When root/proc is a real procfs, whose net/
 * is always the reader's own network namespace, the TCP states come instead from one
 * NETLINK_SOCK_DIAG dump (the legacy TCPDIAG_GETSOCK request, which covers IPv4 and IPv6 in one
 * walk of the listening and established hashes): the same states for the same sockets. Its
 * idiag_states asks for exactly the states the files list: not TCP_BOUND_INACTIVE (Linux 6.8+),
 * bound sockets that neither listen nor connect, which the files do not show (the dump reports
 * them as CLOSE) and whose bind hash walk the dump then skips. No extension is requested, so
 * replies are the bare inet_diag_msg and its few fixed attributes. If netlink fails once (no
 * tcp_diag, a seccomp filter), the source reads the TCP files from then on. Either way sockets
 * are streamed through a fixed buffer, so a host with a million of them costs time but no
 * memory.
 *
 * UDP needs no walk at all: /proc/net/udp{,6} list the sockets hashed in the UDP table, and the
 * kernel counts exactly those as they are hashed and unhashed (udp_lib_get_port and
 * udp_lib_unhash), per protocol, in the "UDP: inuse" of /proc/net/sockstat and the "UDP6:
 * inuse" of /proc/net/sockstat6. On a real procfs udp_socket is their sum; without those lines
 * the files are counted.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define BUF_SIZE 16384

/* Indexed by the kernel's TCP state number; 0 is tcp_none. */
static const char *const tcp_names[] = {
    "tcp_none",       "tcp_established", "tcp_syn_sent",  "tcp_syn_recv",
    "tcp_fin_wait1",  "tcp_fin_wait2",   "tcp_time_wait", "tcp_close",
    "tcp_close_wait", "tcp_last_ack",    "tcp_listen",    "tcp_closing",
};
#define N_TCP (sizeof(tcp_names) / sizeof(tcp_names[0]))

/* Emitted in this (alphabetical) order, as the CloudWatch agent lists them. */
static const int tcp_order[] = {7, 8, 11, 1, 4, 5, 9, 10, 0, 2, 3, 6};
_Static_assert(sizeof(tcp_order) / sizeof(tcp_order[0]) == N_TCP, "every TCP state is emitted");

struct netstat_state {
    char *root;
    int nl_fd;             /* the sock_diag socket, or -1 */
    uint32_t nl_seq;       /* of the last request, to skip a stale reply */
    bool tcp_nl_off;       /* netlink failed once for TCP: its files only */
    bool udp_sockstat_off; /* the sockstat files failed once for UDP: its files only */
    bool procfs;           /* root/proc/net was the kernel's at init: netlink may stand in for it */
    int fd_sockstat, fd_sockstat6; /* kept open (st_proc_open_kept), or -1 */
    _Alignas(struct nlmsghdr) char buf[BUF_SIZE];
};

static void netstat_fini(void *state)
{
    struct netstat_state *s = state;
    if (!s) {
        return;
    }
    if (s->nl_fd >= 0) {
        close(s->nl_fd);
    }
    st_proc_kept_close(&s->fd_sockstat);
    st_proc_kept_close(&s->fd_sockstat6);
    st_free(s->root);
    st_free(s);
}

/* Whether root/proc is the kernel's, so that netlink sees what its net/ files would show. */
static bool real_procfs(const struct netstat_state *s)
{
    char path[ST_PROC_PATH_MAX];
    struct statfs sf;
    return st_proc_path(path, sizeof(path), s->root, "/proc/net") == 0 && statfs(path, &sf) == 0 &&
           sf.f_type == PROC_SUPER_MAGIC;
}

static int netstat_init(const struct st_source_config *cfg, void **ret_state)
{
    struct netstat_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->nl_fd = -1;
    s->fd_sockstat = s->fd_sockstat6 = -1;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        netstat_fini(s);
        return r;
    }
    s->procfs = real_procfs(s);
    *ret_state = s;
    return 0;
}

static int nl_open(struct netstat_state *s)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        return -errno;
    }
    /* The kernel always ends a dump; the timeout only bounds a kernel that would not. */
    struct timeval tv = {.tv_sec = 1};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    s->nl_fd = fd;
    return 0;
}

/* Reads one reply datagram of the dump into buf. Returns its length or a negative errno. */
static ssize_t nl_recv(struct netstat_state *s)
{
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = s->buf, .iov_len = sizeof(s->buf)};
    struct msghdr msg = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
    for (;;) {
        ssize_t n = recvmsg(s->nl_fd, &msg, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (msg.msg_flags & MSG_TRUNC) {
            return -EMSGSIZE;
        }
        if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0) {
            continue; /* not from the kernel */
        }
        return n;
    }
}

/*
 * The states the files list: 1 (ESTABLISHED) to 11 (CLOSING) and request sockets (NEW_SYN_RECV,
 * reported as SYN_RECV), not TCP_BOUND_INACTIVE (13).
 */
#define TCP_FILE_STATES ((1u << 13) - 2)

/*
 * Runs the legacy TCPDIAG_GETSOCK dump (both families, one walk) and counts its sockets by state
 * into counts[]. Returns 0, or a negative errno with the counts unspecified (the caller then
 * reads the files).
 */
static int nl_dump(struct netstat_state *s, uint64_t counts[N_TCP])
{
    if (s->nl_fd < 0) {
        int r = nl_open(s);
        if (r < 0) {
            return r;
        }
    }
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req compat;
    } rq;
    memset(&rq, 0, sizeof(rq));
    const uint16_t reply_type = TCPDIAG_GETSOCK;
    rq.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(rq.compat));
    rq.nlh.nlmsg_type = reply_type;
    rq.compat.idiag_family = AF_INET; /* the compat dump is of both families */
    rq.compat.idiag_states = TCP_FILE_STATES;
    rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    rq.nlh.nlmsg_seq = ++s->nl_seq;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int err = 0;
    if (sendto(s->nl_fd, &rq, rq.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) <
        0) {
        err = -errno;
        goto fail;
    }
    for (;;) {
        ssize_t n = nl_recv(s);
        if (n < 0) {
            err = (int)n;
            goto fail;
        }
        /* Signed: NLMSG_NEXT past a misaligned last message must end the walk, not wrap. */
        long left = (long)n;
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)s->buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != s->nl_seq) {
                continue;
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                int done_err = 0;
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
                    memcpy(&done_err, NLMSG_DATA(h), sizeof(int));
                }
                if (done_err < 0) {
                    err = done_err;
                    goto fail;
                }
                return 0;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                err =
                    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0 ? e->error : -EBADMSG;
                goto fail;
            }
            if (h->nlmsg_type != reply_type ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                continue;
            }
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            counts[m->idiag_state < N_TCP ? m->idiag_state : 0]++;
        }
    }
fail:
    /* Whatever is left of the dump goes with the socket. */
    close(s->nl_fd);
    s->nl_fd = -1;
    return err;
}

/*
 * Counts the sockets of one file: into counts[state] for TCP (counts != NULL), else into
 * *ret_sockets. Returns 0, -ENOENT, -EBADMSG (some lines skipped) or another negative errno.
 */
static int count_file(struct netstat_state *s, const char *path, uint64_t counts[N_TCP],
                      uint64_t *ret_sockets)
{
    struct st_proc_reader r;
    int ret = st_proc_open(&r, s->root, path, s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    bool bad = false;
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor f[4];
        int n = 0;
        while (n < 4 && st_proc_field(&line, &f[n]) == 0) {
            n++;
        }
        if (n == 0) {
            continue;
        }
        if (n < 4) {
            bad = true;
            continue;
        }
        if (st_proc_field_eq(&f[3], "st")) {
            continue; /* the header */
        }
        if (!counts) {
            (*ret_sockets)++;
            continue;
        }
        uint64_t st;
        if (st_proc_parse_hex(&f[3], &st) < 0 || st >= N_TCP) {
            st = 0;
        }
        counts[st]++;
    }
    st_proc_close(&r);
    if (more < 0) {
        return more;
    }
    return bad || r.overlong ? -EBADMSG : 0;
}

/*
 * The "inuse" of the line starting with key ("UDP:") of a sockstat file into *ret. Returns 0,
 * -ENOENT (no such file), -ENODATA (no such line) or another negative errno.
 */
static int sockstat_inuse(struct netstat_state *s, int *kept, const char *path, const char *key,
                          uint64_t *ret)
{
    struct st_proc_reader r;
    int ret_open = st_proc_open_kept(&r, kept, s->root, path, s->buf, sizeof(s->buf));
    if (ret_open < 0) {
        return ret_open;
    }
    int ret_code = -ENODATA;
    struct st_cursor line, f;
    int more;
    while (ret_code == -ENODATA && (more = st_proc_next_line(&r, &line)) > 0) {
        if (st_proc_field(&line, &f) < 0 || !st_proc_field_eq(&f, key)) {
            continue;
        }
        ret_code = -EBADMSG;
        if (st_proc_field(&line, &f) == 0 && st_proc_field_eq(&f, "inuse") &&
            st_proc_field_u64(&line, ret) == 0) {
            ret_code = 0;
        }
    }
    st_proc_close(&r);
    return more < 0 ? more : ret_code;
}

/* udp_socket from the sockstat files (see the top of the file). Returns 0 or a negative errno. */
static int udp_from_sockstat(struct netstat_state *s, uint64_t *ret)
{
    uint64_t v4 = 0, v6 = 0;
    int r = sockstat_inuse(s, &s->fd_sockstat, "/proc/net/sockstat", "UDP:", &v4);
    if (r < 0) {
        return r;
    }
    r = sockstat_inuse(s, &s->fd_sockstat6, "/proc/net/sockstat6", "UDP6:", &v6);
    if (r < 0 && r != -ENOENT) {
        return r; /* no sockstat6: no IPv6, no UDP6 sockets */
    }
    *ret = v4 + v6;
    return 0;
}

static int netstat_collect(void *state, struct st_emitter *out)
{
    struct netstat_state *s = state;
    uint64_t tcp[N_TCP] = {0};
    uint64_t udp = 0;
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
                                        "/proc/net/udp6"};
    bool from_files[4] = {true, true, true, true};
    if (s->procfs) {
        if (!s->tcp_nl_off) {
            if (nl_dump(s, tcp) == 0) {
                from_files[0] = from_files[1] = false;
            } else {
                s->tcp_nl_off = true;
                memset(tcp, 0, sizeof(tcp));
            }
        }
        if (!s->udp_sockstat_off) {
            if (udp_from_sockstat(s, &udp) == 0) {
                from_files[2] = from_files[3] = false;
            } else {
                s->udp_sockstat_off = true;
                udp = 0;
            }
        }
    }
    int err = 0, missing = 0, read = 0;
    for (size_t i = 0; i < 4; i++) {
        if (!from_files[i]) {
            continue;
        }
        read++;
        int r = count_file(s, files[i], i < 2 ? tcp : NULL, &udp);
        if (r == -ENOENT) {
            missing++;
            continue;
        }
        if (r < 0 && (err == 0 || err == -EBADMSG)) {
            err = r;
        }
    }
    if (read == 4 && missing == 4) {
        return -ENOENT;
    }
    if (err < 0 && err != -EBADMSG) {
        /* Counts from some of the files only would be wrong, not partial. */
        return err;
    }
    for (size_t i = 0; i < N_TCP; i++) {
        int k = tcp_order[i];
        st_emit(out, tcp_names[k], ST_UNIT_COUNT, (double)tcp[k], NULL, 0);
    }
    st_emit(out, "udp_socket", ST_UNIT_COUNT, (double)udp, NULL, 0);
    return err;
}

const struct st_source_ops st_source_netstat = {
    .name = "netstat",
    .init = netstat_init,
    .collect = netstat_collect,
    .fini = netstat_fini,
};
