/* SPDX-License-Identifier: MIT */
/*
 * Load generator for stratus-collector's native API, for the benchmarks in bench/.
 *
 *   stratus_load ingest --port P --series S --connections K --seconds D [--settle W]
 *     Pre-encodes PutMetricData requests of 1000 datums (namespace Bench, metric m, dimensions
 *     host=h1 and series=<n>, cycling over S series), sends every request once as a warm-up
 *     (so that all series exist), waits W seconds, then keeps K keep-alive connections busy for D
 * seconds and prints the datapoints per second that were acknowledged (HTTP 200).
 *
 *   stratus_load statsd --port P --rate R --seconds D [--tags 0]
 *     Sends StatsD datagrams (a counter with a tag and a timer, two lines each) to UDP
 *     127.0.0.1:P at R datagrams per second for D seconds, paced in batches of 64 with
 *     sendmmsg, and prints how many were sent. With --tags 0 the counter has no DogStatsD tag
 *     (its 10 routes are in its name), for servers without tags such as collectd's.
 *
 *   stratus_load query --port P --requests N [--percentile p99]
 *     Sends N GetMetricStatistics requests, one at a time on one keep-alive connection, for the
 *     last 24 hours of Bench/q at a 60 s period (1440 datapoints) with the five statistics, or
 *     with one percentile, and prints the median and p99 latency in microseconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "stratus.pb-c.h"
#include "stratus/time_util.h"

struct req {
    uint8_t *buf;
    size_t len;
};

struct load {
    struct event_base *base;
    const char *path;
    struct req *reqs;
    size_t n_reqs;
    size_t next;
    uint64_t deadline_us;
    uint64_t datums_per_req;
    uint64_t acked, failed, sent;
    int inflight;
    bool warmup;
    /* query mode */
    uint64_t *lat_us;
    size_t n_lat, max_lat;
    uint64_t t_start;
};

struct conn {
    struct load *l;
    struct evhttp_connection *evcon;
};

static void send_next(struct conn *c);

/* Requests go out as a header write then a body write: without TCP_NODELAY, Nagle holds the
 * body until the collector's delayed ACK of the header (tens of ms per request). */
static void set_nodelay(struct conn *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct conn *c = arg;
    struct load *l = c->l;
    set_nodelay(c);
    l->inflight--;
    if (req && evhttp_request_get_response_code(req) == 200) {
        l->acked += l->datums_per_req;
    } else {
        l->failed++;
    }
    if (l->lat_us) {
        if (l->n_lat < l->max_lat) {
            l->lat_us[l->n_lat++] = st_mono_us() - l->t_start;
        }
        if (l->n_lat < l->max_lat) {
            send_next(c);
        } else {
            event_base_loopbreak(l->base);
        }
        return;
    }
    if (l->warmup ? l->sent < l->n_reqs : st_mono_us() < l->deadline_us) {
        send_next(c);
    } else if (l->inflight == 0) {
        event_base_loopbreak(l->base);
    }
}

static void send_next(struct conn *c)
{
    struct load *l = c->l;
    struct evhttp_request *r = evhttp_request_new(on_reply, c);
    struct req *q = &l->reqs[l->next];
    l->next = (l->next + 1) % l->n_reqs;
    evhttp_add_header(evhttp_request_get_output_headers(r), "Host", "127.0.0.1");
    evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
                      "application/x-protobuf");
    evbuffer_add_reference(evhttp_request_get_output_buffer(r), q->buf, q->len, NULL, NULL);
    l->inflight++;
    l->sent++;
    l->t_start = st_mono_us();
    if (evhttp_make_request(c->evcon, r, EVHTTP_REQ_POST, l->path) < 0) {
        l->inflight--;
        l->failed++;
    }
}

static struct req encode_put(size_t first, size_t n_series, int64_t ts_ms)
{
    static char names[1000][24];
    Stratus__PutMetricDataRequest pr = STRATUS__PUT_METRIC_DATA_REQUEST__INIT;
    Stratus__MetricDatum d[1000], *dp[1000];
    Stratus__Dimension host[1000], ser[1000], *dims[1000][2];
    pr.namespace_ = "Bench";
    pr.metric_data = dp;
    pr.n_metric_data = 1000;
    for (size_t i = 0; i < 1000; i++) {
        stratus__metric_datum__init(&d[i]);
        stratus__dimension__init(&host[i]);
        stratus__dimension__init(&ser[i]);
        host[i].name = "host";
        host[i].value = "h1";
        ser[i].name = "series";
        snprintf(names[i], sizeof(names[i]), "%zu", (first + i) % n_series);
        ser[i].value = names[i];
        dims[i][0] = &host[i];
        dims[i][1] = &ser[i];
        d[i].metric_name = "m";
        d[i].dimensions = dims[i];
        d[i].n_dimensions = 2;
        d[i].has_timestamp_ms = true;
        d[i].timestamp_ms = ts_ms;
        d[i].has_value = true;
        d[i].value = (double)(i % 97) + 0.5;
        d[i].unit = "Milliseconds";
        dp[i] = &d[i];
    }
    struct req r;
    r.len = stratus__put_metric_data_request__get_packed_size(&pr);
    r.buf = malloc(r.len);
    stratus__put_metric_data_request__pack(&pr, r.buf);
    return r;
}

static struct req encode_query(const char *pct)
{
    Stratus__GetMetricStatisticsRequest q = STRATUS__GET_METRIC_STATISTICS_REQUEST__INIT;
    char *stats[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};
    char *ext[] = {(char *)pct};
    int64_t now = st_wall_ms() / 60000 * 60000;
    q.namespace_ = "Bench";
    q.metric_name = "q";
    q.has_start_time_ms = q.has_end_time_ms = q.has_period = true;
    q.end_time_ms = now;
    q.start_time_ms = now - 1440LL * 60000;
    q.period = 60;
    if (pct) {
        q.extended_statistics = ext;
        q.n_extended_statistics = 1;
    } else {
        q.statistics = stats;
        q.n_statistics = 5;
    }
    struct req r;
    r.len = stratus__get_metric_statistics_request__get_packed_size(&q);
    r.buf = malloc(r.len);
    stratus__get_metric_statistics_request__pack(&q, r.buf);
    return r;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long arg_long(int argc, char **argv, const char *name, long def)
{
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return strtol(argv[i + 1], NULL, 10);
        }
    }
    return def;
}

static const char *arg_str(int argc, char **argv, const char *name)
{
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

static int statsd_load(int port, long rate, long seconds, bool tags)
{
    enum { BATCH = 64 };
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char bufs[BATCH][128];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    uint64_t sent = 0, start = st_mono_us(), end = start + (uint64_t)seconds * 1000000;
    for (uint64_t now = start; now < end; now = st_mono_us()) {
        /* Keep to the rate: send only what is due by now. */
        uint64_t due = (now - start) * (uint64_t)rate / 1000000;
        if (sent >= due) {
            struct timespec nap = {0, 50000};
            nanosleep(&nap, NULL);
            continue;
        }
        int n = due - sent < BATCH ? (int)(due - sent) : BATCH;
        for (int i = 0; i < n; i++) {
            uint64_t k = sent + (uint64_t)i;
            /* Without tags (for StatsD servers that have none), the route is in the name. */
            int len = snprintf(bufs[i], sizeof(bufs[i]),
                               tags ? "app.requests:1|c|#route:r%u\napp.latency:%u|ms"
                                    : "app.requests.r%u:1|c\napp.latency:%u|ms",
                               (unsigned)(k % 10), (unsigned)(k % 500));
            iov[i] = (struct iovec){bufs[i], (size_t)len};
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof(to);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int r = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (r > 0) {
            sent += (uint64_t)r;
        }
    }
    close(fd);
    printf("sent=%" PRIu64 " seconds=%.2f\n", sent, (double)(st_mono_us() - start) / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "statsd") == 0) {
        return statsd_load(
            (int)arg_long(argc, argv, "--port", 8125), arg_long(argc, argv, "--rate", 100000),
            arg_long(argc, argv, "--seconds", 5), arg_long(argc, argv, "--tags", 1) != 0);
    }
    if (argc < 2 || (strcmp(argv[1], "ingest") != 0 && strcmp(argv[1], "query") != 0)) {
        fprintf(stderr, "usage: stratus_load ingest|query|statsd --port P [options]\n");
        return 2;
    }
    bool ingest = strcmp(argv[1], "ingest") == 0;
    int port = (int)arg_long(argc, argv, "--port", 4780);
    struct load l = {.base = event_base_new()};
    struct conn conns[64];
    int k = ingest ? (int)arg_long(argc, argv, "--connections", 8) : 1;
    if (k < 1 || k > 64) {
        fprintf(stderr, "--connections takes 1..64\n");
        return 2;
    }
    for (int i = 0; i < k; i++) {
        conns[i].l = &l;
        conns[i].evcon = evhttp_connection_base_new(l.base, NULL, "127.0.0.1", (uint16_t)port);
        evhttp_connection_set_timeout(conns[i].evcon, 60);
    }
    if (ingest) {
        size_t series = (size_t)arg_long(argc, argv, "--series", 1000);
        long seconds = arg_long(argc, argv, "--seconds", 10);
        l.path = "/v1/PutMetricData";
        l.datums_per_req = 1000;
        l.n_reqs = (series + 999) / 1000;
        l.reqs = calloc(l.n_reqs, sizeof(*l.reqs));
        int64_t ts = st_wall_ms();
        for (size_t i = 0; i < l.n_reqs; i++) {
            l.reqs[i] = encode_put(i * 1000, series, ts);
        }
        /* Warm-up: every request once, so that every series exists. */
        l.warmup = true;
        uint64_t t0 = st_mono_us();
        for (int i = 0; i < k && l.sent < l.n_reqs; i++) {
            send_next(&conns[i]);
        }
        event_base_dispatch(l.base);
        uint64_t warm_us = st_mono_us() - t0;
        uint64_t warm_acked = l.acked;
        l.warmup = false;
        /* Let the collector persist the index rows of the new series before measuring. */
        long settle = arg_long(argc, argv, "--settle", 0);
        if (settle > 0) {
            struct timespec pause = {settle, 0};
            nanosleep(&pause, NULL);
        }
        l.acked = l.failed = 0;
        l.deadline_us = st_mono_us() + (uint64_t)seconds * 1000000;
        t0 = st_mono_us();
        for (int i = 0; i < k; i++) {
            send_next(&conns[i]);
        }
        event_base_dispatch(l.base);
        double secs = (double)(st_mono_us() - t0) / 1e6;
        printf("series=%zu connections=%d warmup_dps=%.0f dps=%.0f acked=%" PRIu64
               " failed=%" PRIu64 "\n",
               series, k, (double)warm_acked / ((double)warm_us / 1e6), (double)l.acked / secs,
               l.acked, l.failed);
    } else {
        l.path = "/v1/GetMetricStatistics";
        l.n_reqs = 1;
        l.reqs = calloc(1, sizeof(*l.reqs));
        l.reqs[0] = encode_query(arg_str(argc, argv, "--percentile"));
        l.max_lat = (size_t)arg_long(argc, argv, "--requests", 1000);
        l.lat_us = calloc(l.max_lat, sizeof(*l.lat_us));
        send_next(&conns[0]);
        event_base_dispatch(l.base);
        qsort(l.lat_us, l.n_lat, sizeof(*l.lat_us), cmp_u64);
        printf("requests=%zu failed=%" PRIu64 " median_us=%" PRIu64 " p99_us=%" PRIu64 "\n",
               l.n_lat, l.failed, l.lat_us[l.n_lat / 2], l.lat_us[l.n_lat * 99 / 100]);
    }
    for (int i = 0; i < k; i++) {
        evhttp_connection_free(conns[i].evcon);
    }
    for (size_t i = 0; i < l.n_reqs; i++) {
        free(l.reqs[i].buf);
    }
    free(l.reqs);
    free(l.lat_us);
    event_base_free(l.base);
    return l.failed ? 1 : 0;
}
