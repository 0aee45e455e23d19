/* SPDX-License-Identifier: MIT */
/*
 * The UDP segment receiver (trace_udp.h). Each readable event drains the socket with recvmmsg,
 * 64 datagrams a call and up to 16 calls, into one ingest job, so the worker gets few large
 * batches. The receive buffer is 16 MB (SO_RCVBUFFORCE when permitted) so bursts wait in the
 * kernel while the loop serves HTTP. Loop thread only.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/xray_segment.h"
#include "trace_udp.h"

#define BATCH     64
#define ROUNDS    16
#define BUF_BYTES (ST_XRAY_MAX_DOC_BYTES + 512)

struct st_trace_udp {
    int fd;
    struct event *ev;
    struct st_trace_store *store;
    uint8_t *bufs;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    char ctrl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
    uint32_t last_ovfl;
    struct st_trace_udp_stats stats;
    struct st_ratelimit rl;
    uint64_t logged_drops;
};

const struct st_trace_udp_stats *st_trace_udp_stats(const struct st_trace_udp *u)
{
    return &u->stats;
}

static void log_drops(struct st_trace_udp *u, const char *why)
{
    uint64_t total =
        u->stats.bad_header + u->stats.too_big + u->stats.queue_full + u->stats.socket_drops;
    if (total != u->logged_drops && st_ratelimit_allow(&u->rl)) {
        st_log_warning(
            "traces: dropping datagrams (%s); so far %llu bad header, %llu over "
            "64 KB, %llu queue full, %llu in the socket (non-fatal)",
            why, (unsigned long long)u->stats.bad_header, (unsigned long long)u->stats.too_big,
            (unsigned long long)u->stats.queue_full, (unsigned long long)u->stats.socket_drops);
        u->logged_drops = total;
    }
}

static void note_ovfl(struct st_trace_udp *u, struct msghdr *h)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            if (v != u->last_ovfl) {
                u->stats.socket_drops += (uint32_t)(v - u->last_ovfl);
                u->last_ovfl = v;
            }
        }
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct st_trace_udp *u = arg;
    struct st_trace_job *job = NULL;
    const char *why = NULL;
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < BATCH; i++) {
            u->iov[i] = (struct iovec){u->bufs + (size_t)i * BUF_BYTES, BUF_BYTES};
            u->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &u->iov[i],
                                                 .msg_iovlen = 1,
                                                 .msg_control = u->ctrl[i],
                                                 .msg_controllen = sizeof(u->ctrl[i])};
        }
        int n = recvmmsg(fd, u->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            break;
        }
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &u->msgs[i].msg_hdr;
            note_ovfl(u, h);
            u->stats.datagrams++;
            const uint8_t *doc;
            size_t len;
            int r = (h->msg_flags & MSG_TRUNC)
                        ? -EMSGSIZE
                        : st_xray_datagram_body(u->iov[i].iov_base, u->msgs[i].msg_len, &doc, &len);
            if (r == -EMSGSIZE) {
                u->stats.too_big++;
                why = "over 64 KB";
                continue;
            }
            if (r < 0) {
                u->stats.bad_header++;
                why = "no {\"format\": \"json\", \"version\": 1} header";
                continue;
            }
            if (!job && !(job = st_trace_job_new())) {
                u->stats.queue_full++;
                why = "out of memory";
                continue;
            }
            if (st_trace_job_add_doc(job, doc, len) < 0) {
                u->stats.queue_full++;
                why = "out of memory";
            }
        }
        if (n < BATCH) {
            break;
        }
    }
    if (job && job->n_docs) {
        int r = st_trace_store_submit(u->store, job);
        if (r < 0) {
            u->stats.queue_full += job->n_docs;
            why = "the trace store is behind";
            st_trace_job_free(job);
        }
    } else {
        st_trace_job_free(job);
    }
    if (why ||
        u->stats.socket_drops + u->stats.bad_header + u->stats.too_big + u->stats.queue_full !=
            u->logged_drops) {
        log_drops(u, why ? why : "the socket buffer overflowed");
    }
}

int st_trace_udp_new(struct event_base *base, const char *host, uint16_t port,
                     struct st_trace_store *store, struct st_trace_udp **ret, struct st_error *err)
{
    struct st_trace_udp *u = st_calloc(1, sizeof(*u));
    if (!u) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    u->fd = -1;
    u->store = store;
    u->rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    int r;
    u->bufs = st_malloc((size_t)BATCH * BUF_BYTES);
    if (!u->bufs) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char svc[8];
    snprintf(svc, sizeof(svc), "%u", (unsigned)port);
    int gr = getaddrinfo(host, svc, &hints, &ai);
    if (gr != 0) {
        r = st_error_set(err, -EINVAL, ST_ERR_INTERNAL_FAILURE, "traces: cannot resolve %s: %s",
                         host, gai_strerror(gr));
        goto fail;
    }
    u->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (u->fd < 0) {
        r = -errno;
        freeaddrinfo(ai);
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "traces: socket: %s", strerror(-r));
        goto fail;
    }
    int rcvbuf = 16 * 1024 * 1024, one = 1;
    if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
        setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    setsockopt(u->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    if (bind(u->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        r = -errno;
        freeaddrinfo(ai);
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "traces: cannot bind UDP %s:%u: %s", host,
                     (unsigned)port, strerror(-r));
        goto fail;
    }
    freeaddrinfo(ai);
    u->ev = event_new(base, u->fd, EV_READ | EV_PERSIST, on_readable, u);
    if (!u->ev || event_add(u->ev, NULL) < 0) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    *ret = u;
    return 0;
fail:
    st_trace_udp_free(u);
    return r;
}

void st_trace_udp_free(struct st_trace_udp *u)
{
    if (!u) {
        return;
    }
    if (u->ev) {
        event_free(u->ev);
    }
    if (u->fd >= 0) {
        close(u->fd);
    }
    st_free(u->bufs);
    st_free(u);
}
