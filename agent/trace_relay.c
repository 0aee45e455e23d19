/* SPDX-License-Identifier: MIT */
/*
 * The trace relay (trace_relay.h). Datagrams are read with recvmmsg, 32 at a time; their
 * documents go to a FIFO bounded by ST_TRACE_RELAY_QUEUE_BYTES. One PutTraceSegments request
 * is in flight at a time on a keep-alive connection: a batch leaves as soon as 50 documents
 * wait, or 1 s after the first of a smaller batch arrived (as the X-Ray daemon does). A 2xx
 * removes the batch (documents the collector refused are in its reply and counted as
 * rejected); a 4xx drops it (counted); anything else keeps it and retries after a backoff
 * doubling from 1 s to 30 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "agent_private.h"
#include "stratus/alloc.h"
#include "stratus/http_client.h"
#include "stratus/log.h"
#include "stratus/xray_segment.h"
#include "trace_relay.h"
#include "traces.pb-c.h"

#define RECV_BATCH 32
#define BUF_BYTES  (ST_XRAY_MAX_DOC_BYTES + 512)
#define TIMEOUT_S  10

struct doc {
    struct doc *next;
    size_t len;
    char text[]; /* NUL-terminated */
};

struct st_trace_relay {
    struct event_base *base;
    int fd;
    struct event *read_ev, *send_ev;
    uint8_t *bufs;
    struct mmsghdr msgs[RECV_BATCH];
    struct iovec iov[RECV_BATCH];
    struct doc *head, *tail;
    size_t n_queued, queued_bytes;
    size_t in_flight; /* documents at the head of the queue being sent */
    struct st_endpoint ep;
    struct evhttp_connection *conn;
    int backoff_s;
    bool timer_armed;
    bool closing;
    struct st_trace_relay_stats stats;
    struct st_ratelimit rl;
    uint64_t logged;
};

void st_trace_relay_get_stats(const struct st_trace_relay *r, struct st_trace_relay_stats *ret)
{
    *ret = r->stats;
}

static void log_drops(struct st_trace_relay *r, const char *why)
{
    uint64_t n = r->stats.bad_header + r->stats.too_big + r->stats.queue_full + r->stats.rejected;
    if (n != r->logged && st_ratelimit_allow(&r->rl)) {
        st_log_warning(
            "traces: %s; dropped so far: %llu bad header, %llu over 64 KB, %llu queue "
            "full, %llu refused by the collector (non-fatal)",
            why, (unsigned long long)r->stats.bad_header, (unsigned long long)r->stats.too_big,
            (unsigned long long)r->stats.queue_full, (unsigned long long)r->stats.rejected);
        r->logged = n;
    }
}

static void arm(struct st_trace_relay *r, int seconds)
{
    struct timeval tv = {seconds, 0};
    evtimer_add(r->send_ev, &tv);
    r->timer_armed = true;
}

static void drop_head(struct st_trace_relay *r, size_t n)
{
    for (size_t i = 0; i < n && r->head; i++) {
        struct doc *d = r->head;
        r->head = d->next;
        r->n_queued--;
        r->queued_bytes -= d->len;
        st_free(d);
    }
    if (!r->head) {
        r->tail = NULL;
    }
}

static void send_batch(struct st_trace_relay *r);

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct st_trace_relay *r = arg;
    if (r->closing) {
        return;
    }
    int code = req ? evhttp_request_get_response_code(req) : 0;
    size_t n = r->in_flight;
    r->in_flight = 0;
    if (code >= 200 && code < 300) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        Stratus__PutTraceSegmentsResponse *resp = stratus__put_trace_segments_response__unpack(
            NULL, len, len ? evbuffer_pullup(in, -1) : (const uint8_t *)"");
        size_t refused = 0;
        if (resp) {
            refused =
                resp->n_unprocessed_trace_segments < n ? resp->n_unprocessed_trace_segments : n;
            r->stats.rejected += refused;
            if (resp->n_unprocessed_trace_segments) {
                log_drops(r, "the collector refused segments");
            }
            stratus__put_trace_segments_response__free_unpacked(resp, NULL);
        }
        r->stats.sent += n - refused;
        drop_head(r, n);
        r->backoff_s = 0;
    } else if (code >= 400 && code < 500 && code != 429) {
        r->stats.rejected += n;
        drop_head(r, n);
        log_drops(r, "the collector refused a batch");
    } else {
        r->stats.send_failures++;
        r->backoff_s = r->backoff_s ? (r->backoff_s * 2 > 30 ? 30 : r->backoff_s * 2) : 1;
        if (r->stats.send_failures == 1 || st_ratelimit_allow(&r->rl)) {
            st_log_warning("traces: cannot deliver %zu segments to %s:%u (HTTP %d); retrying in "
                           "%d s (non-fatal)",
                           n, r->ep.host, (unsigned)r->ep.port, code, r->backoff_s);
        }
        arm(r, r->backoff_s);
        return;
    }
    if (r->n_queued >= ST_TRACE_RELAY_BATCH) {
        send_batch(r);
    } else if (r->n_queued && !r->timer_armed) {
        arm(r, 1);
    }
}

static void send_batch(struct st_trace_relay *r)
{
    if (r->in_flight || !r->head) {
        return;
    }
    char *docs[ST_TRACE_RELAY_BATCH];
    size_t n = 0;
    for (struct doc *d = r->head; d && n < ST_TRACE_RELAY_BATCH; d = d->next) {
        docs[n++] = d->text;
    }
    Stratus__PutTraceSegmentsRequest msg = STRATUS__PUT_TRACE_SEGMENTS_REQUEST__INIT;
    msg.trace_segment_documents = docs;
    msg.n_trace_segment_documents = n;
    struct evhttp_request *req = evhttp_request_new(on_reply, r);
    if (!req) {
        arm(r, 1);
        return;
    }
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    size_t len = protobuf_c_message_get_packed_size(&msg.base);
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1) {
        evhttp_request_free(req);
        arm(r, 1);
        return;
    }
    v.iov_len = protobuf_c_message_pack(&msg.base, v.iov_base);
    evbuffer_commit_space(out, &v, 1);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char host[300];
    snprintf(host, sizeof(host), "%s:%u", r->ep.host, (unsigned)r->ep.port);
    evhttp_add_header(h, "Host", host);
    evhttp_add_header(h, "Content-Type", "application/x-protobuf");
    r->in_flight = n;
    if (evhttp_make_request(r->conn, req, EVHTTP_REQ_POST, "/v1/PutTraceSegments") < 0) {
        r->in_flight = 0;
        arm(r, 1);
    }
}

static void on_send_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct st_trace_relay *r = arg;
    r->timer_armed = false;
    send_batch(r);
}

static void enqueue(struct st_trace_relay *r, const uint8_t *doc, size_t len)
{
    if (r->queued_bytes + len > ST_TRACE_RELAY_QUEUE_BYTES) {
        r->stats.queue_full++;
        return;
    }
    struct doc *d = st_malloc(sizeof(*d) + len + 1);
    if (!d) {
        r->stats.queue_full++;
        return;
    }
    memcpy(d->text, doc, len);
    d->text[len] = '\0';
    d->len = len;
    d->next = NULL;
    if (r->tail) {
        r->tail->next = d;
    } else {
        r->head = d;
    }
    r->tail = d;
    r->n_queued++;
    r->queued_bytes += len;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct st_trace_relay *r = arg;
    const char *why = NULL;
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < RECV_BATCH; i++) {
            r->iov[i] = (struct iovec){r->bufs + (size_t)i * BUF_BYTES, BUF_BYTES};
            r->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &r->iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, r->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            break;
        }
        for (int i = 0; i < n; i++) {
            r->stats.received++;
            const uint8_t *doc;
            size_t len;
            int rc =
                (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
                    ? -EMSGSIZE
                    : st_xray_datagram_body(r->iov[i].iov_base, r->msgs[i].msg_len, &doc, &len);
            if (rc == -EMSGSIZE) {
                r->stats.too_big++;
                why = "a segment over 64 KB";
            } else if (rc < 0 || memchr(doc, '\0', len)) {
                r->stats.bad_header++;
                why = "a datagram without the {\"format\": \"json\", \"version\": 1} header";
            } else {
                uint64_t full = r->stats.queue_full;
                enqueue(r, doc, len);
                if (r->stats.queue_full != full) {
                    why = "the queue is full";
                }
            }
        }
        if (n < RECV_BATCH) {
            break;
        }
    }
    if (why) {
        log_drops(r, why);
    }
    if (r->n_queued >= ST_TRACE_RELAY_BATCH && !r->backoff_s) {
        send_batch(r);
    } else if (r->n_queued && !r->timer_armed && !r->in_flight) {
        arm(r, 1);
    }
}

void st_trace_relay_flush(struct st_trace_relay *r)
{
    if (r && !r->backoff_s) {
        send_batch(r);
    }
}

int st_trace_relay_new(struct event_base *base, const char *bind_address, const char *endpoint_url,
                       struct st_trace_relay **ret, struct st_error *err)
{
    struct st_trace_relay *r = st_calloc(1, sizeof(*r));
    if (!r) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "traces: out of memory");
    }
    r->base = base;
    r->fd = -1;
    r->rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    int rc;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (st_agent_parse_udp_address(bind_address, &ss, &sl) < 0) {
        rc = st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                          "traces: bind_address '%s' is not HOST:PORT", bind_address);
        goto fail;
    }
    if (st_endpoint_parse(endpoint_url, &r->ep) < 0) {
        rc = st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                          "traces: endpoint '%s' is not http://HOST:PORT", endpoint_url);
        goto fail;
    }
    if ((r->fd = st_agent_udp_socket(&ss, sl)) < 0) {
        rc = st_error_set(err, r->fd, ST_ERR_INTERNAL_FAILURE, "traces: cannot bind UDP %s: %s",
                          bind_address, strerror(-r->fd));
        r->fd = -1;
        goto fail;
    }
    r->bufs = st_malloc((size_t)RECV_BATCH * BUF_BYTES);
    r->conn = evhttp_connection_base_new(base, NULL, r->ep.host, r->ep.port);
    r->read_ev = event_new(base, r->fd, EV_READ | EV_PERSIST, on_readable, r);
    r->send_ev = evtimer_new(base, on_send_timer, r);
    if (!r->bufs || !r->conn || !r->read_ev || !r->send_ev || event_add(r->read_ev, NULL) < 0) {
        rc = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "traces: out of memory");
        goto fail;
    }
    evhttp_connection_set_timeout(r->conn, TIMEOUT_S);
    evhttp_connection_set_retries(r->conn, 0);
    *ret = r;
    return 0;
fail:
    st_trace_relay_free(r);
    return rc;
}

void st_trace_relay_free(struct st_trace_relay *r)
{
    if (!r) {
        return;
    }
    r->closing = true;
    if (r->conn) {
        evhttp_connection_free(r->conn); /* an in-flight request's callback runs, and returns */
    }
    if (r->read_ev) {
        event_free(r->read_ev);
    }
    if (r->send_ev) {
        event_free(r->send_ev);
    }
    if (r->fd >= 0) {
        close(r->fd);
    }
    r->in_flight = 0;
    drop_head(r, r->n_queued);
    st_free(r->bufs);
    st_free(r);
}
