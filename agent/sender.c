/* SPDX-License-Identifier: MIT */
/*
 * The sender of one endpoint (see sender.h): a small state machine on the loop thread.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "sender.h"
#include "stratus/alloc.h"
#include "stratus/http_client.h"
#include "stratus/log.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define TIMEOUT_S      10

struct st_sender {
    struct event_base *base;
    struct st_endpoint ep;
    struct st_spool *spool;
    struct evhttp_connection *conn;
    struct event *retry_ev;
    bool in_flight, backing_off;
    evutil_socket_t nodelay_fd; /* the connection TCP_NODELAY was set on */
    unsigned backoff_ms;
    struct st_sender_stats stats;
    struct st_ratelimit fail_rl, reject_rl;
};

static void send_next(struct st_sender *s);

static void set_nodelay(struct st_sender *s)
{
    /* Without it Nagle holds a request's body until the collector's delayed ACK. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(s->conn);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct st_sender *s = arg;
    s->nodelay_fd = -1; /* the next socket may get the same number */
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct st_sender *s = arg;
    s->backing_off = false;
    send_next(s);
}

static void back_off(struct st_sender *s, const char *why)
{
    s->stats.failures++;
    /* The batches wait now: on disk, not just in the page cache. */
    int r = st_spool_sync(s->spool);
    if (r < 0 && st_ratelimit_allow(&s->fail_rl)) {
        st_log_error("sender: cannot sync the spool: %s", strerror(-r));
    }
    s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (s->backoff_ms > BACKOFF_MAX_MS) {
        s->backoff_ms = BACKOFF_MAX_MS;
    }
    if (st_ratelimit_allow(&s->fail_rl)) {
        st_log_warning("sender: http://%s:%u: %s; %zu batches spooled, retrying in %u ms",
                       s->ep.host, s->ep.port, why, st_spool_count(s->spool), s->backoff_ms);
    }
    struct timeval tv = {s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000};
    s->backing_off = true;
    evtimer_add(s->retry_ev, &tv);
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct st_sender *s = arg;
    s->in_flight = false;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(s->conn);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (code > 0 && fd != s->nodelay_fd) {
        set_nodelay(s); /* once per connection */
        s->nodelay_fd = fd;
    }
    if (code == 200) {
        st_spool_pop(s->spool, false);
        s->stats.delivered++;
        s->backoff_ms = 0;
        send_next(s);
        return;
    }
    if (code >= 400 && code < 500 && code != 408 && code != 429) {
        /* The collector will never take this batch: keep it from blocking the rest. */
        char msg[256] = "";
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        evbuffer_copyout(in, msg, n < sizeof(msg) - 1 ? n : sizeof(msg) - 1);
        st_spool_pop(s->spool, true);
        s->stats.rejected++;
        if (st_ratelimit_allow(&s->reject_rl)) {
            st_log_error("sender: the collector refused a batch (HTTP %d: %s); dropped it", code,
                         msg);
        }
        send_next(s);
        return;
    }
    char why[64];
    snprintf(why, sizeof(why), code ? "HTTP %d" : "no answer", code);
    back_off(s, why);
}

static void send_next(struct st_sender *s)
{
    if (s->in_flight || s->backing_off) {
        return;
    }
    const uint8_t *buf;
    size_t len;
    int r;
    while ((r = st_spool_peek(s->spool, &buf, &len)) < 0 && r != -ENOENT) {
        st_log_error("sender: cannot read a spooled batch (%s); dropping it", strerror(-r));
        st_spool_pop(s->spool, true);
    }
    if (r == -ENOENT) {
        return;
    }
    struct evhttp_request *req = evhttp_request_new(on_reply, s);
    if (!req) {
        back_off(s, "out of memory");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char host[300];
    snprintf(host, sizeof(host), "%s:%u", s->ep.host, s->ep.port);
    evhttp_add_header(h, "Host", host);
    evhttp_add_header(h, "Content-Type", "application/x-protobuf");
    evbuffer_add(evhttp_request_get_output_buffer(req), buf, len);
    s->stats.requests++;
    s->in_flight = true;
    if (evhttp_make_request(s->conn, req, EVHTTP_REQ_POST, "/v1/PutMetricData") < 0) {
        s->in_flight = false;
        back_off(s, "cannot send");
    }
}

void st_sender_kick(struct st_sender *s)
{
    send_next(s);
}

bool st_sender_idle(const struct st_sender *s)
{
    return !s->in_flight && st_spool_count(s->spool) == 0;
}

void st_sender_get_stats(const struct st_sender *s, struct st_sender_stats *ret)
{
    *ret = s->stats;
}

void st_sender_free(struct st_sender *s)
{
    if (!s) {
        return;
    }
    if (s->conn) {
        evhttp_connection_free(s->conn);
    }
    if (s->retry_ev) {
        event_free(s->retry_ev);
    }
    st_free(s);
}

int st_sender_new(struct event_base *base, const char *endpoint_url, struct st_spool *spool,
                  struct st_sender **ret, struct st_error *err)
{
    struct st_sender *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "sender: out of memory");
    }
    s->base = base;
    s->spool = spool;
    s->nodelay_fd = -1;
    s->fail_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 3);
    s->reject_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 3);
    if (st_endpoint_parse(endpoint_url, &s->ep) < 0) {
        st_sender_free(s);
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "sender: endpoint %s is not http://HOST[:PORT]", endpoint_url);
    }
    s->conn = evhttp_connection_base_new(base, NULL, s->ep.host, s->ep.port);
    s->retry_ev = evtimer_new(base, on_retry, s);
    if (!s->conn || !s->retry_ev) {
        st_sender_free(s);
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "sender: out of memory");
    }
    evhttp_connection_set_timeout(s->conn, TIMEOUT_S);
    /* A request in one writev: libevent's default stops at 16 KB, and a second write costs
     * one more turn of the loop. Batches stay under the collector's 1 MB limit. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(s->conn);
    if (bev) {
        bufferevent_set_max_single_write(bev, 2u << 20);
    }
    evhttp_connection_set_closecb(s->conn, on_close, s);
    evhttp_connection_set_retries(s->conn, 0);
    *ret = s;
    return 0;
}
