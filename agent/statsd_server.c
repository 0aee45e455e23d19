/* SPDX-License-Identifier: MIT */
/*
 * The StatsD listener (see listeners.h): datagrams are parsed by lib/statsd.c into the
 * aggregator, which is flushed every metrics_collection_interval (aligned to it) into datums:
 * counters as their sum, gauges as their value, sets as their size, timers as Values/Counts of
 * their distribution, each with a metric_type dimension and the packet's tags.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listeners.h"
#include "stratus/alloc.h"
#include "stratus/log.h"
#include "stratus/statsd.h"
#include "stratus/time_util.h"

#define BATCH     32
#define DGRAM_MAX 65536

struct st_statsd_server {
    struct st_agent *a;
    int fd;
    struct event *read_ev, *flush_ev;
    struct st_statsd_agg *agg;
    int64_t interval_s;
    uint8_t *bufs; /* BATCH x DGRAM_MAX */
    struct st_statsd_stats parse_stats;
    struct st_listener_stats stats;
    struct st_ratelimit bad_rl;
};

static void arm(struct st_statsd_server *s)
{
    int64_t now = st_wall_ms(), step = s->interval_s * 1000;
    int64_t delay = (now / step + 1) * step - now;
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    evtimer_add(s->flush_ev, &tv);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct st_statsd_server *s = arg;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    /* Drain the socket, but yield to the loop after a bounded amount of work. */
    for (int round = 0; round < 16; round++) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){s->bufs + (size_t)i * DGRAM_MAX, DGRAM_MAX};
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            uint64_t bad_before = s->parse_stats.bad_lines;
            s->stats.datagrams++;
            st_statsd_parse(iov[i].iov_base, msgs[i].msg_len, st_statsd_agg_add_fn, s->agg,
                            &s->parse_stats);
            if (s->parse_stats.bad_lines != bad_before) {
                s->stats.bad += s->parse_stats.bad_lines - bad_before;
                if (st_ratelimit_allow(&s->bad_rl)) {
                    st_log_warning("statsd: malformed lines in a datagram, dropping them "
                                   "(%llu so far)",
                                   (unsigned long long)s->stats.bad);
                }
            }
        }
        if (n < BATCH) {
            return;
        }
    }
}

struct flush_ctx {
    struct st_statsd_server *s;
    int64_t ts_ms;
};

static int on_metric(const struct st_statsd_metric *m, void *data)
{
    struct flush_ctx *fc = data;
    struct st_statsd_server *s = fc->s;
    Stratus__Dimension dims[ST_STATSD_MAX_TAGS + 1], *ptrs[ST_STATSD_MAX_TAGS + 1];
    size_t n = 0;
    stratus__dimension__init(&dims[n]);
    dims[n].name = "metric_type";
    dims[n].value = (char *)m->metric_type;
    ptrs[n] = &dims[n];
    n++;
    for (size_t i = 0; i < m->n_tags && n < ST_STATSD_MAX_TAGS + 1; i++) {
        stratus__dimension__init(&dims[n]);
        dims[n].name = (char *)m->tags[i].key;
        dims[n].value = (char *)m->tags[i].value;
        ptrs[n] = &dims[n];
        n++;
    }
    Stratus__MetricDatum d = STRATUS__METRIC_DATUM__INIT;
    d.metric_name = (char *)m->name;
    d.dimensions = ptrs;
    d.n_dimensions = n;
    d.has_timestamp_ms = true;
    d.timestamp_ms = fc->ts_ms;
    d.unit = "None";
    d.has_storage_resolution = true;
    d.storage_resolution = s->interval_s < 60 ? 1 : 60;
    if (m->n_values > 0) {
        d.values = (double *)m->values;
        d.n_values = m->n_values;
        d.counts = (double *)m->counts;
        d.n_counts = m->n_values;
    } else {
        d.has_value = true;
        d.value = m->value;
    }
    if (st_agent_submit(s->a, &d) < 0) {
        s->stats.dropped++;
    } else {
        s->stats.datums++;
    }
    return 0;
}

void st_statsd_server_flush(struct st_statsd_server *s)
{
    struct flush_ctx fc = {s, st_wall_ms() / (s->interval_s * 1000) * s->interval_s * 1000};
    st_statsd_agg_flush(s->agg, on_metric, &fc);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct st_statsd_server *s = arg;
    st_statsd_server_flush(s);
    arm(s);
}

void st_statsd_server_get_stats(const struct st_statsd_server *s, struct st_listener_stats *ret)
{
    *ret = s->stats;
    /* Events the aggregator could not keep (allowed_pending_messages or the memory cap). */
    struct st_statsd_agg_stats as;
    st_statsd_agg_get_stats(s->agg, &as);
    ret->dropped += as.keys_dropped + as.cells_dropped + as.nomem;
}

void st_statsd_server_free(struct st_statsd_server *s)
{
    if (!s) {
        return;
    }
    if (s->read_ev) {
        event_free(s->read_ev);
    }
    if (s->flush_ev) {
        event_free(s->flush_ev);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    st_statsd_agg_free(s->agg);
    st_free(s->bufs);
    st_free(s);
}

int st_statsd_server_new(struct event_base *base, struct st_agent *a, struct st_statsd_server **ret,
                         struct st_error *err)
{
    const struct st_agent_config *cfg = st_agent_config(a);
    struct st_statsd_server *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "statsd: out of memory");
    }
    s->a = a;
    s->fd = -1;
    s->interval_s = cfg->statsd_interval_s;
    s->bad_rl = (struct st_ratelimit)ST_RATELIMIT_INIT(60000, 5);
    struct sockaddr_storage addr;
    socklen_t alen;
    int r;
    /* Half the agent's memory cap for the aggregates: about 64 bytes a key or stored value. */
    struct st_statsd_agg_config ac = {.max_keys = (size_t)cfg->statsd_pending,
                                      .max_cells = (size_t)cfg->memory_max_bytes / 2 / 64};
    if (st_agent_parse_udp_address(cfg->statsd_address, &addr, &alen) < 0) {
        r = st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                         "statsd: service_address %s is not [HOST]:PORT", cfg->statsd_address);
        goto fail;
    }
    if ((r = st_agent_udp_socket(&addr, alen)) < 0) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "statsd: cannot listen on %s: %s",
                     cfg->statsd_address, strerror(-r));
        goto fail;
    }
    s->fd = r;
    if ((r = st_statsd_agg_new(&ac, &s->agg)) < 0 ||
        !(s->bufs = st_malloc((size_t)BATCH * DGRAM_MAX)) ||
        !(s->read_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_read, s)) ||
        !(s->flush_ev = evtimer_new(base, on_flush, s))) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "statsd: out of memory");
        goto fail;
    }
    event_add(s->read_ev, NULL);
    arm(s);
    *ret = s;
    return 0;
fail:
    st_statsd_server_free(s);
    return r;
}
